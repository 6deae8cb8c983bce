/**
 * The citizen's home: their consents (status, dates, datasets, a revoke button per active one)
 * and, below, who accessed their data (Estonia's Data Tracker, in plain French).
 */
import type { CitizenConsentView } from '../../consent/consent.contract.js';
import type { AccessEntry } from '../access-log.types.js';
import { frenchDate, frenchDateTime } from '../format.js';
import { accessProofPath } from '../http.js';
import { escapeHtml, renderPage } from '../layout.js';
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
}

const BADGE: Record<CitizenConsentView['status'], string> = {
  active: 'fr-badge--success',
  revoked: 'fr-badge--error',
  expired: 'fr-badge--warning',
};

function consentItem(c: CitizenConsentView, csrf: string): string {
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
  return `<li class="fr-mb-5w" data-consent="${escapeHtml(c.id)}" data-status="${escapeHtml(c.status)}">
<h3 class="fr-h5 fr-mb-1w">${escapeHtml(c.client.name)}</h3>
<p class="fr-badge fr-badge--sm ${BADGE[c.status]} fr-mb-1w">${escapeHtml(T.status[c.status])}</p>
<p class="fr-mb-1w"><strong>${escapeHtml(T.purpose)} :</strong> ${escapeHtml(c.purpose)}</p>
<p class="fr-mb-1w"><strong>${escapeHtml(T.legalBasis)} :</strong> ${escapeHtml(c.legalBasis)}</p>
<p class="fr-mb-0"><strong>${escapeHtml(T.datasets)} :</strong></p>
<ul class="fr-mb-1w">${datasets}</ul>
<ul class="fr-text--sm fr-mb-0">
<li>${escapeHtml(T.givenOn)} ${timeTag(c.createdAt, frenchDateTime(c.createdAt))}</li>
${ending}
<li>${escapeHtml(T.mode[c.fetchMode])} — ${escapeHtml(T.fetchCount(c.fetchCount))}</li>
</ul>
${revoke}
</li>`;
}

function accessRow(a: AccessEntry): string {
  return `<tr data-access="${escapeHtml(a.id)}" data-outcome="${escapeHtml(a.outcome)}">
<td>${timeTag(a.occurredAt, frenchDateTime(a.occurredAt))}</td>
<td class="fr-cell--multiline">${escapeHtml(a.serviceName)}</td>
<td class="fr-cell--multiline">${escapeHtml(a.datasetTitle)}</td>
<td class="fr-cell--multiline">${escapeHtml(a.purpose ?? '')}</td>
<td class="fr-cell--multiline">${escapeHtml(a.outcomeText)}<br><a class="fr-link fr-link--sm" data-proof href="${escapeHtml(accessProofPath(a.id))}" download title="${escapeHtml(T.proofLinkTitle(frenchDateTime(a.occurredAt)))}">${escapeHtml(T.proofLink)}</a></td>
</tr>`;
}

function accessLog(model: MePageModel): string {
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
      : `<div class="fr-table fr-table--no-caption" data-access-log>
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
</tr></thead>
<tbody>
${model.accesses.map(accessRow).join('\n')}
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
  return renderPage({ title: T.title, body, loggedIn: true });
}
