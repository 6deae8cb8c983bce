/**
 * The citizen's home: their consents (status, dates, datasets, a revoke button per active one)
 * and, below, who accessed their data (Estonia's Data Tracker, in plain French).
 */
import { html, joinHtml, type Html } from '../../common/index.js';
import type { CitizenConsentView } from '../../consent/index.js';
import type { AccessEntry } from '../access-log.types.js';
import { frenchDate, frenchDateTime } from '../format.js';
import { accessProofPath } from '../http.js';
import { renderPage } from '../../page-shell/index.js';
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

function consentItem(c: CitizenConsentView, csrf: string): Html {
  const shown = displayStatus(c);
  const datasets = c.datasets.map((d) => html`<li>${d.title} (${d.providerName})</li>`);
  const ending =
    c.status === 'revoked' && c.revokedAt
      ? html`<li>${T.revokedOn} ${timeTag(c.revokedAt, frenchDateTime(c.revokedAt))}</li>`
      : c.status === 'expired'
        ? html`<li>${T.expiredOn} ${timeTag(c.expiresAt, frenchDate(c.expiresAt))}</li>`
        : html`<li>${T.validUntil} ${timeTag(c.expiresAt, frenchDate(c.expiresAt))}</li>`;
  const revoke =
    c.status === 'active'
      ? html`<form method="post" action="/me/consents/${seg(c.id)}/revoke" class="fr-mt-2w" data-revoke-form>
${csrfField(csrf)}
<button class="fr-btn fr-btn--secondary fr-btn--sm fr-icon-close-circle-line fr-btn--icon-left" type="submit">${T.revoke}<span class="fr-sr-only"> ${T.revokeContext(c.client.name, frenchDate(c.createdAt))}</span></button>
</form>`
      : '';
  return html`<li class="fr-mb-5w" data-consent="${c.id}" data-status="${c.status}" data-display-status="${shown}">
<h3 class="fr-h5 fr-mb-1w">${c.client.name}</h3>
<p class="fr-badge fr-badge--sm ${BADGE[shown]} fr-mb-1w">${T.status[shown]}</p>
<p class="fr-mb-1w"><strong>${T.purpose} :</strong> ${c.purpose}</p>
<p class="fr-mb-1w"><strong>${T.habilitationPurpose} :</strong> ${c.habilitationPurpose}</p>
<p class="fr-mb-1w"><strong>${T.legalBasis} :</strong> ${c.legalBasis}</p>
<p class="fr-mb-0"><strong>${T.datasets} :</strong></p>
<ul class="fr-mb-1w">${datasets}</ul>
<ul class="fr-text--sm fr-mb-0">
<li>${T.givenOn} ${timeTag(c.createdAt, frenchDateTime(c.createdAt))}</li>
${ending}
<li data-usage>${usage(c)}</li>
</ul>
${revoke}
</li>`;
}

/**
 * An extra column of the access log (e.g. a download link per access): its header and its
 * cell, built with `html`. Each cell is labelled by its header on a phone.
 */
export interface AccessColumn {
  header: string;
  cell: (a: AccessEntry) => Html;
}

function accessRow(a: AccessEntry, extra: AccessColumn[]): Html {
  const td = (label: string, content: Html | string, multiline = true) =>
    html`<td${multiline ? html` class="fr-cell--multiline"` : ''} data-label="${label}">${content}</td>`;
  // API FranceConnectée: marked, with the scopes the citizen agreed to at FranceConnect.
  const via = a.viaFranceConnect
    ? html`<br><span class="fr-badge fr-badge--sm fr-badge--info" data-via-franceconnect>${T.viaFranceConnect}</span>${
        a.scopes.length
          ? html`<br><small>${T.franceConnectScopes} : ${joinHtml(
              a.scopes.map((s) => html`<code>${s}</code>`),
              ' ',
            )}</small>`
          : ''
      }`
    : '';
  return html`<tr data-access="${a.id}" data-outcome="${a.outcome}"${a.viaFranceConnect ? html` data-via="franceconnect"` : ''}>
${td(T.columns.when, timeTag(a.occurredAt, frenchDateTime(a.occurredAt)), false)}
${td(T.columns.service, html`${a.serviceName}${via}`)}
${td(T.columns.dataset, a.datasetTitle)}
${td(T.columns.purpose, a.purpose ?? '')}
${td(T.columns.outcome, a.outcomeText)}
${joinHtml(
  extra.map((c) => td(c.header, c.cell(a))),
  '\n',
)}
</tr>`;
}

/**
 * The proof-bundle column (issue 11): per access, the download of its event, inclusion proof and
 * signed checkpoint, which the citizen can verify without trusting Passerelle.
 */
export const accessProofColumn: AccessColumn = {
  header: T.columns.proof,
  cell: (a) =>
    html`<a class="fr-link fr-link--sm" data-proof href="${accessProofPath(a.id)}" download title="${T.proofLinkTitle(frenchDateTime(a.occurredAt))}">${T.proofLink}</a>`,
};

function accessLog(model: MePageModel): Html {
  const extra = model.accessColumns ?? [];
  const nav: Html[] = [];
  if (model.olderCursor) {
    nav.push(
      html`<li><a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/me?avant=${encodeURIComponent(model.olderCursor)}#consultations">${T.olderAccesses}</a></li>`,
    );
  }
  if (model.laterPage) {
    nav.push(
      html`<li><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/me#consultations">${T.newestAccesses}</a></li>`,
    );
  }
  const table =
    model.accesses.length === 0
      ? html`<p>${T.noAccess}</p>`
      : html`<div class="fr-table fr-table--no-caption pa-access-log" data-access-log>
<div class="fr-table__wrapper">
<div class="fr-table__container">
<div class="fr-table__content">
<table>
<caption>${T.accessesCaption}</caption>
<thead><tr>
<th scope="col">${T.columns.when}</th>
<th scope="col">${T.columns.service}</th>
<th scope="col">${T.columns.dataset}</th>
<th scope="col">${T.columns.purpose}</th>
<th scope="col">${T.columns.outcome}</th>
${joinHtml(
  extra.map((c) => html`<th scope="col">${c.header}</th>`),
  '\n',
)}
</tr></thead>
<tbody>
${joinHtml(
  model.accesses.map((a) => accessRow(a, extra)),
  '\n',
)}
</tbody>
</table>
</div>
</div>
</div>
</div>`;
  return html`<section class="fr-mt-6w" aria-labelledby="consultations">
<h2 class="fr-h3" id="consultations" tabindex="-1">${T.accessesHeading}</h2>
<p>${T.accessesIntro}</p>
${table}
${nav.length ? html`<ul class="fr-raw-list">${nav}</ul>` : ''}
</section>`;
}

export function mePage(model: MePageModel): string {
  const notice = model.revokedService
    ? html`<div class="fr-alert fr-alert--success fr-mb-4w" role="status" data-revoked-notice>
<p>${T.revokedNotice(model.revokedService)}</p>
</div>`
    : '';
  const consents =
    model.consents.length === 0
      ? html`<p>${T.noConsent}</p>`
      : html`<ul class="fr-raw-list">
${joinHtml(
  model.consents.map((c) => consentItem(c, model.csrf)),
  '\n',
)}
</ul>`;
  const body = html`${notice}<p class="fr-text--lead">${T.intro}</p>
<section aria-labelledby="mes-accords">
<h2 class="fr-h3" id="mes-accords">${T.consentsHeading}</h2>
${consents}
</section>
${accessLog(model)}`;
  return renderPage({ title: T.title, body, loggedIn: true, csrf: model.csrf });
}
