/**
 * The citizen's home: their consents (status, dates, datasets, a revoke button per active one)
 * and, below, who accessed their data (Estonia's Data Tracker, in plain French).
 */
import type { CitizenConsentView } from '../../consent/index.js';
import type { AccessEntry } from '../access-log.types.js';
import { frenchDate, frenchDateTime } from '../format.js';
import { accessProofPath } from '../http.js';
import { escapeHtml, renderPage } from '../../page-shell/index.js';
import { ME_PAGE as T } from '../texts.js';
import { csrfField, seg, timeTag } from './html.js';

export interface MePageModel {
  consents: CitizenConsentView[];
  accesses: AccessEntry[];
  /** Cursor of the next (older) page of accesses, or null on the last one. */
  olderCursor: string | null;
  /** Whether this is a later page of accesses (shows a link back to the newest). */
  laterPage: boolean;
  csrf: string;
  /** Set right after a revocation: the service whose consent was just withdrawn. */
  revokedService?: string;
  /** Extra columns of the access log, after the five standard ones. */
  accessColumns?: AccessColumn[];
}

/** What the citizen reads as the consent's state: a `once` consent fully served is "used". */
export type DisplayStatus = CitizenConsentView['status'] | 'used';

export function displayStatus(c: CitizenConsentView): DisplayStatus {
  if (
    c.status === 'active' &&
    c.fetchMode === 'once' &&
    c.datasets.length > 0 &&
    c.datasets.every((d) => c.servedDatasets.includes(d.id))
  ) {
    return 'used';
  }
  return c.status;
}

const BADGE: Record<DisplayStatus, string> = {
  active: 'fr-badge--success',
  used: 'fr-badge--info',
  revoked: 'fr-badge--error',
  expired: 'fr-badge--warning',
};

function usage(c: CitizenConsentView): string {
  if (c.fetchMode === 'periodic') return T.usage.periodic(c.fetchCount);
  const served = c.datasets.filter((d) => c.servedDatasets.includes(d.id)).length;
  return T.usage.once(served, c.datasets.length);
}

function consentItem(c: CitizenConsentView, csrf: string): string {
  const shown = displayStatus(c);
  const datasets = c.datasets
    .map((d) => `<li>${escapeHtml(d.title)} (${escapeHtml(d.providerName)})</li>`)
    .join('');
  const ending =
    c.status === 'revoked' && c.revokedAt
      ? `<li>${escapeHtml(T.revokedOn)} ${timeTag(c.revokedAt, frenchDateTime(c.revokedAt))}</li>`
      : c.status === 'expired'
        ? `<li>${escapeHtml(T.expiredOn)} ${timeTag(c.expiresAt, frenchDate(c.expiresAt))}</li>`
        : `<li>${escapeHtml(T.validUntil)} ${timeTag(c.expiresAt, frenchDate(c.expiresAt))}</li>`;
  const revoke =
    c.status === 'active'
      ? `<form method="post" action="/me/consents/${seg(c.id)}/revoke" class="fr-mt-2w" data-revoke-form>
${csrfField(csrf)}
<button class="fr-btn fr-btn--secondary fr-btn--sm fr-icon-close-circle-line fr-btn--icon-left" type="submit">${escapeHtml(T.revoke)}<span class="fr-sr-only"> ${escapeHtml(T.revokeContext(c.client.name, frenchDate(c.createdAt)))}</span></button>
</form>`
      : '';
  return `<li class="fr-mb-5w" data-consent="${escapeHtml(c.id)}" data-status="${escapeHtml(c.status)}" data-display-status="${escapeHtml(shown)}">
<h3 class="fr-h5 fr-mb-1w">${escapeHtml(c.client.name)}</h3>
<p class="fr-badge fr-badge--sm ${BADGE[shown]} fr-mb-1w">${escapeHtml(T.status[shown])}</p>
<p class="fr-mb-1w"><strong>${escapeHtml(T.purpose)} :</strong> ${escapeHtml(c.purpose)}</p>
<p class="fr-mb-1w"><strong>${escapeHtml(T.habilitationPurpose)} :</strong> ${escapeHtml(c.habilitationPurpose)}</p>
<p class="fr-mb-1w"><strong>${escapeHtml(T.legalBasis)} :</strong> ${escapeHtml(c.legalBasis)}</p>
<p class="fr-mb-0"><strong>${escapeHtml(T.datasets)} :</strong></p>
<ul class="fr-mb-1w">${datasets}</ul>
<ul class="fr-text--sm fr-mb-0">
<li>${escapeHtml(T.givenOn)} ${timeTag(c.createdAt, frenchDateTime(c.createdAt))}</li>
${ending}
<li data-usage>${escapeHtml(usage(c))}</li>
</ul>
${revoke}
</li>`;
}

/**
 * An extra column of the access log (e.g. a download link per access): its header and its
 * cell, already-escaped HTML. Each cell is labelled by its header on a phone.
 */
export interface AccessColumn {
  header: string;
  cell: (a: AccessEntry) => string;
}

function accessRow(a: AccessEntry, extra: AccessColumn[]): string {
  const td = (label: string, html: string, multiline = true) =>
    `<td${multiline ? ' class="fr-cell--multiline"' : ''} data-label="${escapeHtml(label)}">${html}</td>`;
  // API FranceConnectée: marked, with the scopes the citizen agreed to at FranceConnect.
  const via = a.viaFranceConnect
    ? `<br><span class="fr-badge fr-badge--sm fr-badge--info" data-via-franceconnect>${escapeHtml(T.viaFranceConnect)}</span>` +
      (a.scopes.length
        ? `<br><small>${escapeHtml(T.franceConnectScopes)} : ${a.scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(' ')}</small>`
        : '')
    : '';
  return `<tr data-access="${escapeHtml(a.id)}" data-outcome="${escapeHtml(a.outcome)}"${a.viaFranceConnect ? ' data-via="franceconnect"' : ''}>
${td(T.columns.when, timeTag(a.occurredAt, frenchDateTime(a.occurredAt)), false)}
${td(T.columns.service, escapeHtml(a.serviceName) + via)}
${td(T.columns.dataset, escapeHtml(a.datasetTitle))}
${td(T.columns.purpose, escapeHtml(a.purpose ?? ''))}
${td(T.columns.outcome, escapeHtml(a.outcomeText))}
${extra.map((c) => td(c.header, c.cell(a))).join('\n')}
</tr>`;
}

/**
 * The proof-bundle column (issue 11): per access, the download of its event, inclusion proof and
 * signed checkpoint, which the citizen can verify without trusting Passerelle.
 */
export const accessProofColumn: AccessColumn = {
  header: T.columns.proof,
  cell: (a) =>
    `<a class="fr-link fr-link--sm" data-proof href="${escapeHtml(accessProofPath(a.id))}" download title="${escapeHtml(T.proofLinkTitle(frenchDateTime(a.occurredAt)))}">${escapeHtml(T.proofLink)}</a>`,
};

function accessLog(model: MePageModel): string {
  const extra = model.accessColumns ?? [];
  const nav: string[] = [];
  if (model.olderCursor) {
    nav.push(
      `<li><a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/me?avant=${encodeURIComponent(model.olderCursor)}#consultations">${escapeHtml(T.olderAccesses)}</a></li>`,
    );
  }
  if (model.laterPage) {
    nav.push(
      `<li><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/me#consultations">${escapeHtml(T.newestAccesses)}</a></li>`,
    );
  }
  const table =
    model.accesses.length === 0
      ? `<p>${escapeHtml(T.noAccess)}</p>`
      : `<div class="fr-table fr-table--no-caption pa-access-log" data-access-log>
<div class="fr-table__wrapper">
<div class="fr-table__container">
<div class="fr-table__content">
<table>
<caption>${escapeHtml(T.accessesCaption)}</caption>
<thead><tr>
<th scope="col">${escapeHtml(T.columns.when)}</th>
<th scope="col">${escapeHtml(T.columns.service)}</th>
<th scope="col">${escapeHtml(T.columns.dataset)}</th>
<th scope="col">${escapeHtml(T.columns.purpose)}</th>
<th scope="col">${escapeHtml(T.columns.outcome)}</th>
${extra.map((c) => `<th scope="col">${escapeHtml(c.header)}</th>`).join('\n')}
</tr></thead>
<tbody>
${model.accesses.map((a) => accessRow(a, extra)).join('\n')}
</tbody>
</table>
</div>
</div>
</div>
</div>`;
  return `<section class="fr-mt-6w" aria-labelledby="consultations">
<h2 class="fr-h3" id="consultations" tabindex="-1">${escapeHtml(T.accessesHeading)}</h2>
<p>${escapeHtml(T.accessesIntro)}</p>
${table}
${nav.length ? `<ul class="fr-raw-list">${nav.join('')}</ul>` : ''}
</section>`;
}

export function mePage(model: MePageModel): string {
  const notice = model.revokedService
    ? `<div class="fr-alert fr-alert--success fr-mb-4w" role="status" data-revoked-notice>
<p>${escapeHtml(T.revokedNotice(model.revokedService))}</p>
</div>`
    : '';
  const consents =
    model.consents.length === 0
      ? `<p>${escapeHtml(T.noConsent)}</p>`
      : `<ul class="fr-raw-list">
${model.consents.map((c) => consentItem(c, model.csrf)).join('\n')}
</ul>`;
  const body = `${notice}<p class="fr-text--lead">${escapeHtml(T.intro)}</p>
<section aria-labelledby="mes-accords">
<h2 class="fr-h3" id="mes-accords">${escapeHtml(T.consentsHeading)}</h2>
${consents}
</section>
${accessLog(model)}`;
  return renderPage({ title: T.title, body, loggedIn: true, csrf: model.csrf });
}
