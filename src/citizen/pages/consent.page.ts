/**
 * The consent page: who asks, why, on which legal basis, for which datasets (provider and
 * fields), until when, once or repeatedly; then approve or refuse in one form.
 */
import type { ConsentRequestView } from '../../consent/consent.contract.js';
import { frenchDate, frenchDateTime } from '../format.js';
import { escapeHtml, renderPage } from '../layout.js';
import { CONSENT_PAGE as T } from '../texts.js';
import { csrfField, safeHttpUrl, seg, timeTag } from './html.js';

export interface ConsentPageModel {
  request: ConsentRequestView;
  csrf: string;
}

function legalBasis(request: ConsentRequestView): string {
  const href = safeHttpUrl(request.legalBasisUrl);
  const link = href
    ? ` <a class="fr-link" href="${escapeHtml(href)}" rel="noopener noreferrer">${escapeHtml(T.legalBasisLink)}<span class="fr-sr-only"> : ${escapeHtml(request.legalBasis)}</span></a>`
    : '';
  return `<p><strong>${escapeHtml(T.legalBasis)} :</strong> <span data-legal-basis>${escapeHtml(request.legalBasis)}</span>${link}</p>`;
}

function dataset(d: ConsentRequestView['datasets'][number], index: number): string {
  const fields = Object.values(d.fields ?? {});
  const headingId = `justificatif-${index + 1}`;
  const list =
    fields.length > 0
      ? `<ul aria-label="${escapeHtml(T.fieldsCaption(d.title))}">
${fields.map((f) => `  <li>${escapeHtml(f)}</li>`).join('\n')}
</ul>`
      : `<p class="fr-text--sm">${escapeHtml(T.noFields)}</p>`;
  return `<li class="fr-mb-3w" data-dataset="${escapeHtml(d.id)}">
<h3 class="fr-h6 fr-mb-1w" id="${headingId}">${escapeHtml(d.title)}</h3>
<p class="fr-mb-1w">${escapeHtml(T.providedBy)} : <strong data-provider>${escapeHtml(d.provider.name)}</strong></p>
${d.description ? `<p class="fr-text--sm fr-mb-1w">${escapeHtml(d.description)}</p>` : ''}
${list}
</li>`;
}

export function consentPage({ request, csrf }: ConsentPageModel): string {
  const id = seg(request.id);
  const body = `<p class="fr-text--lead">${escapeHtml(T.intro(request.client.name))}</p>

<section class="fr-mb-4w" aria-labelledby="qui-demande">
<h2 class="fr-h4" id="qui-demande">${escapeHtml(T.whoHeading)}</h2>
<p><strong data-client-name>${escapeHtml(request.client.name)}</strong><br>
${escapeHtml(T.siret)} : <span data-siret>${escapeHtml(request.client.siret)}</span></p>
</section>

<section class="fr-mb-4w" aria-labelledby="pourquoi">
<h2 class="fr-h4" id="pourquoi">${escapeHtml(T.whyHeading)}</h2>
<p><strong>${escapeHtml(T.purpose)} :</strong> <span data-purpose>${escapeHtml(request.purpose)}</span></p>
${legalBasis(request)}
</section>

<section class="fr-mb-4w" aria-labelledby="quelles-donnees">
<h2 class="fr-h4" id="quelles-donnees">${escapeHtml(T.whatHeading)}</h2>
<ul class="fr-raw-list">
${request.datasets.map(dataset).join('\n')}
</ul>
<p><a class="fr-link fr-icon-eye-line fr-link--icon-left" href="/consent/${id}/preview" data-preview-link>${escapeHtml(T.preview)}</a><br>
<span class="fr-hint-text">${escapeHtml(T.previewHint)}</span></p>
</section>

<section class="fr-mb-4w" aria-labelledby="combien-de-temps">
<h2 class="fr-h4" id="combien-de-temps">${escapeHtml(T.howLongHeading)}</h2>
<p data-valid-until>${T.until(timeTag(request.validUntil, frenchDate(request.validUntil)))}</p>
<p data-fetch-mode="${escapeHtml(request.fetchMode)}">${escapeHtml(request.fetchMode === 'periodic' ? T.periodic : T.once)}</p>
<p class="fr-text--sm">${escapeHtml(T.revocable)}</p>
</section>

<form method="post" action="/consent/${id}/decision" data-decision-form>
${csrfField(csrf)}
<fieldset class="fr-fieldset" aria-describedby="echeance">
<legend class="fr-fieldset__legend">${escapeHtml(T.decisionLegend)}</legend>
<p class="fr-hint-text fr-fieldset__element" id="echeance">${escapeHtml(T.decisionHint(frenchDateTime(request.expiresAt)))}</p>
<div class="fr-fieldset__element">
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><button class="fr-btn" type="submit" name="decision" value="approve">${escapeHtml(T.approve)}</button></li>
<li><button class="fr-btn fr-btn--secondary" type="submit" name="decision" value="deny">${escapeHtml(T.deny)}</button></li>
</ul>
</div>
</fieldset>
</form>`;
  return renderPage({ title: T.title, body, loggedIn: true, csrf });
}
