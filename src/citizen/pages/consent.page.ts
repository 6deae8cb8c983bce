/**
 * The consent page: who asks, why (the legal purpose of the service's habilitation, and the
 * specific case of this request), for which datasets (provider and fields), until when, once or
 * repeatedly; then approve or refuse in one form.
 *
 * The decision stays within reach: a short summary and the two buttons come first (about one
 * phone screen), the details follow, and long field lists are collapsed (`<details>`, no
 * JavaScript needed).
 */
import type { ConsentRequestView } from '../../consent/index.js';
import { parseFieldDescription, topFields } from '../fields.js';
import { frenchDate, frenchDateTime } from '../format.js';
import { escapeHtml, renderPage } from '../../page-shell/index.js';
import { CONSENT_PAGE as T } from '../texts.js';
import { csrfField, safeHttpUrl, seg, timeTag } from './html.js';

export interface ConsentPageModel {
  request: ConsentRequestView;
  csrf: string;
}

/** Fields shown before "Voir les N autres informations". */
export const FIELDS_SHOWN = 5;

function legalBasis(request: ConsentRequestView): string {
  const href = safeHttpUrl(request.legalBasisUrl);
  const link = href
    ? ` <a class="fr-link" href="${escapeHtml(href)}" rel="noopener noreferrer">${escapeHtml(T.legalBasisLink)}<span class="fr-sr-only"> : ${escapeHtml(request.legalBasis)}</span></a>`
    : '';
  return `<p><strong>${escapeHtml(T.legalBasis)} :</strong> <span data-legal-basis>${escapeHtml(request.legalBasis)}</span>${link}</p>`;
}

function fieldList(d: ConsentRequestView['datasets'][number]): string {
  const labels = topFields(d.fields ?? {}).map((f) => parseFieldDescription(f.description).label);
  if (labels.length === 0) return `<p class="fr-text--sm">${escapeHtml(T.noFields)}</p>`;
  const item = (label: string) => `  <li>${escapeHtml(label)}</li>`;
  const first = labels.slice(0, FIELDS_SHOWN);
  const rest = labels.slice(FIELDS_SHOWN);
  const more =
    rest.length > 0
      ? `<details class="pa-details" data-more-fields>
<summary>${escapeHtml(T.moreFields(rest.length))}</summary>
<ul>
${rest.map(item).join('\n')}
</ul>
</details>`
      : '';
  return `<ul aria-label="${escapeHtml(T.fieldsCaption(d.title))}" class="fr-mb-1w">
${first.map(item).join('\n')}
</ul>
${more}`;
}

function dataset(d: ConsentRequestView['datasets'][number], index: number): string {
  const headingId = `justificatif-${index + 1}`;
  return `<li class="fr-mb-3w" data-dataset="${escapeHtml(d.id)}">
<h4 class="fr-h6 fr-mb-1w" id="${headingId}">${escapeHtml(d.title)}</h4>
<p class="fr-mb-1w">${escapeHtml(T.providedBy)} : <strong data-provider>${escapeHtml(d.provider.name)}</strong></p>
${d.description ? `<p class="fr-text--sm fr-mb-1w">${escapeHtml(d.description)}</p>` : ''}
${fieldList(d)}
</li>`;
}

function summary(request: ConsentRequestView): string {
  const mode = request.fetchMode === 'periodic' ? T.periodicShort : T.onceShort;
  const titles = request.datasets
    .map(
      (d) =>
        `<li>${escapeHtml(d.title)} <span class="fr-text--sm">(${escapeHtml(d.provider.name)})</span></li>`,
    )
    .join('');
  return `<section class="pa-summary fr-mb-4w" aria-labelledby="en-bref" data-summary>
<h2 class="fr-h4" id="en-bref">${escapeHtml(T.summaryHeading)}</h2>
<p class="fr-mb-1w"><strong>${escapeHtml(T.summaryWho)} :</strong> <span data-client-name>${escapeHtml(request.client.name)}</span></p>
<p class="fr-mb-1w"><strong>${escapeHtml(T.summaryWhy)} :</strong> <span data-purpose>${escapeHtml(request.purpose)}</span>, ${escapeHtml(T.withinFrame)} <span data-habilitation-purpose>${escapeHtml(request.habilitationPurpose)}</span></p>
<p class="fr-mb-0"><strong>${escapeHtml(T.summaryWhat)} :</strong></p>
<ul class="fr-mb-1w">${titles}</ul>
<p class="fr-mb-1w"><strong>${escapeHtml(T.summaryHowLong)} :</strong> <span data-valid-until>${T.until(timeTag(request.validUntil, frenchDate(request.validUntil)))}</span> (${escapeHtml(mode)})</p>
<p class="fr-mb-0"><a class="fr-link fr-icon-eye-line fr-link--icon-left" href="/consent/${seg(request.id)}/preview" data-preview-link>${escapeHtml(T.preview)}</a><br>
<span class="fr-hint-text">${escapeHtml(T.previewHint)}</span></p>
</section>`;
}

function decisionForm(request: ConsentRequestView, csrf: string): string {
  return `<form method="post" action="/consent/${seg(request.id)}/decision" class="fr-mb-6w" data-decision-form>
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
}

export function consentPage({ request, csrf }: ConsentPageModel): string {
  const body = `<p>${escapeHtml(T.intro(request.client.name))}</p>

${summary(request)}

${decisionForm(request, csrf)}

<h2 class="fr-h3" id="detail">${escapeHtml(T.detailsHeading)}</h2>

<section class="fr-mb-4w" aria-labelledby="qui-demande">
<h3 class="fr-h5" id="qui-demande">${escapeHtml(T.whoHeading)}</h3>
<p><strong>${escapeHtml(request.client.name)}</strong><br>
${escapeHtml(T.siret)} : <span data-siret>${escapeHtml(request.client.siret)}</span></p>
</section>

<section class="fr-mb-4w" aria-labelledby="pourquoi">
<h3 class="fr-h5" id="pourquoi">${escapeHtml(T.whyHeading)}</h3>
<p class="fr-mb-0"><strong>${escapeHtml(T.habilitationPurpose)} :</strong> ${escapeHtml(request.habilitationPurpose)}</p>
<p class="fr-hint-text">${escapeHtml(T.habilitationPurposeHint)}</p>
${legalBasis(request)}
<p class="fr-mb-0"><strong>${escapeHtml(T.purpose)} :</strong> ${escapeHtml(request.purpose)}</p>
<p class="fr-hint-text">${escapeHtml(T.purposeHint)}</p>
</section>

<section class="fr-mb-4w" aria-labelledby="quelles-donnees">
<h3 class="fr-h5" id="quelles-donnees">${escapeHtml(T.whatHeading)}</h3>
<ul class="fr-raw-list">
${request.datasets.map(dataset).join('\n')}
</ul>
</section>

<section class="fr-mb-4w" aria-labelledby="combien-de-temps">
<h3 class="fr-h5" id="combien-de-temps">${escapeHtml(T.howLongHeading)}</h3>
<p>${T.until(timeTag(request.validUntil, frenchDate(request.validUntil)))}</p>
<p data-fetch-mode="${escapeHtml(request.fetchMode)}">${escapeHtml(request.fetchMode === 'periodic' ? T.periodic : T.once)}</p>
<p class="fr-text--sm">${escapeHtml(T.revocable)}</p>
</section>`;
  return renderPage({ title: T.title, body, loggedIn: true, csrf });
}
