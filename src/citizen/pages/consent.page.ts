/**
 * The consent page: who asks, why (the legal purpose of the service's habilitation, and the
 * specific case of this request), for which datasets (provider and fields), until when, once or
 * repeatedly; then approve or refuse in one form.
 *
 * The decision stays within reach: a short summary and the two buttons come first (about one
 * phone screen), the details follow, and long field lists are collapsed (`<details>`, no
 * JavaScript needed).
 */
import { html, joinHtml, type Html } from '../../common/index.js';
import type { ConsentRequestView } from '../../consent/index.js';
import { parseFieldDescription, topFields } from '../fields.js';
import { frenchDate, frenchDateTime } from '../format.js';
import { renderPage } from '../../page-shell/index.js';
import { CONSENT_PAGE as T } from '../texts.js';
import { csrfField, safeHttpUrl, seg, timeTag } from './html.js';

export interface ConsentPageModel {
  request: ConsentRequestView;
  csrf: string;
}

/** Fields shown before "Voir les N autres informations". */
export const FIELDS_SHOWN = 5;

function legalBasis(request: ConsentRequestView): Html {
  const href = safeHttpUrl(request.legalBasisUrl);
  const link = href
    ? html` <a class="fr-link" href="${href}" rel="noopener noreferrer">${T.legalBasisLink}<span class="fr-sr-only"> : ${request.legalBasis}</span></a>`
    : '';
  return html`<p><strong>${T.legalBasis} :</strong> <span data-legal-basis>${request.legalBasis}</span>${link}</p>`;
}

function fieldList(d: ConsentRequestView['datasets'][number]): Html {
  const labels = topFields(d.fields ?? {}).map((f) => parseFieldDescription(f.description).label);
  if (labels.length === 0) return html`<p class="fr-text--sm">${T.noFields}</p>`;
  const item = (label: string) => html`  <li>${label}</li>`;
  const first = labels.slice(0, FIELDS_SHOWN);
  const rest = labels.slice(FIELDS_SHOWN);
  const more =
    rest.length > 0
      ? html`<details class="pa-details" data-more-fields>
<summary>${T.moreFields(rest.length)}</summary>
<ul>
${joinHtml(rest.map(item), '\n')}
</ul>
</details>`
      : '';
  return html`<ul aria-label="${T.fieldsCaption(d.title)}" class="fr-mb-1w">
${joinHtml(first.map(item), '\n')}
</ul>
${more}`;
}

function dataset(d: ConsentRequestView['datasets'][number], index: number): Html {
  const headingId = `justificatif-${index + 1}`;
  return html`<li class="fr-mb-3w" data-dataset="${d.id}">
<h4 class="fr-h6 fr-mb-1w" id="${headingId}">${d.title}</h4>
<p class="fr-mb-1w">${T.providedBy} : <strong data-provider>${d.provider.name}</strong></p>
${d.description ? html`<p class="fr-text--sm fr-mb-1w">${d.description}</p>` : ''}
${fieldList(d)}
</li>`;
}

function summary(request: ConsentRequestView): Html {
  const mode = request.fetchMode === 'periodic' ? T.periodicShort : T.onceShort;
  const titles = request.datasets.map(
    (d) => html`<li>${d.title} <span class="fr-text--sm">(${d.provider.name})</span></li>`,
  );
  return html`<section class="pa-summary fr-mb-4w" aria-labelledby="en-bref" data-summary>
<h2 class="fr-h4" id="en-bref">${T.summaryHeading}</h2>
<p class="fr-mb-1w"><strong>${T.summaryWho} :</strong> <span data-client-name>${request.client.name}</span></p>
<p class="fr-mb-1w"><strong>${T.summaryWhy} :</strong> <span data-purpose>${request.purpose}</span>, ${T.withinFrame} <span data-habilitation-purpose>${request.habilitationPurpose}</span></p>
<p class="fr-mb-0"><strong>${T.summaryWhat} :</strong></p>
<ul class="fr-mb-1w">${titles}</ul>
<p class="fr-mb-1w"><strong>${T.summaryHowLong} :</strong> <span data-valid-until>${T.until} ${timeTag(request.validUntil, frenchDate(request.validUntil))}</span> (${mode})</p>
<p class="fr-mb-0"><a class="fr-link fr-icon-eye-line fr-link--icon-left" href="/consent/${seg(request.id)}/preview" data-preview-link>${T.preview}</a><br>
<span class="fr-hint-text">${T.previewHint}</span></p>
</section>`;
}

function decisionForm(request: ConsentRequestView, csrf: string): Html {
  return html`<form method="post" action="/consent/${seg(request.id)}/decision" class="fr-mb-6w" data-decision-form>
${csrfField(csrf)}
<fieldset class="fr-fieldset" aria-describedby="echeance">
<legend class="fr-fieldset__legend">${T.decisionLegend}</legend>
<p class="fr-hint-text fr-fieldset__element" id="echeance">${T.decisionHint(frenchDateTime(request.expiresAt))}</p>
<div class="fr-fieldset__element">
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><button class="fr-btn" type="submit" name="decision" value="approve">${T.approve}</button></li>
<li><button class="fr-btn fr-btn--secondary" type="submit" name="decision" value="deny">${T.deny}</button></li>
</ul>
</div>
</fieldset>
</form>`;
}

export function consentPage({ request, csrf }: ConsentPageModel): string {
  const body = html`<p>${T.intro(request.client.name)}</p>

${summary(request)}

${decisionForm(request, csrf)}

<h2 class="fr-h3" id="detail">${T.detailsHeading}</h2>

<section class="fr-mb-4w" aria-labelledby="qui-demande">
<h3 class="fr-h5" id="qui-demande">${T.whoHeading}</h3>
<p><strong>${request.client.name}</strong><br>
${T.siret} : <span data-siret>${request.client.siret}</span></p>
</section>

<section class="fr-mb-4w" aria-labelledby="pourquoi">
<h3 class="fr-h5" id="pourquoi">${T.whyHeading}</h3>
<p class="fr-mb-0"><strong>${T.habilitationPurpose} :</strong> ${request.habilitationPurpose}</p>
<p class="fr-hint-text">${T.habilitationPurposeHint}</p>
${legalBasis(request)}
<p class="fr-mb-0"><strong>${T.purpose} :</strong> ${request.purpose}</p>
<p class="fr-hint-text">${T.purposeHint}</p>
</section>

<section class="fr-mb-4w" aria-labelledby="quelles-donnees">
<h3 class="fr-h5" id="quelles-donnees">${T.whatHeading}</h3>
<ul class="fr-raw-list">
${joinHtml(request.datasets.map(dataset), '\n')}
</ul>
</section>

<section class="fr-mb-4w" aria-labelledby="combien-de-temps">
<h3 class="fr-h5" id="combien-de-temps">${T.howLongHeading}</h3>
<p>${T.until} ${timeTag(request.validUntil, frenchDate(request.validUntil))}</p>
<p data-fetch-mode="${request.fetchMode}">${request.fetchMode === 'periodic' ? T.periodic : T.once}</p>
<p class="fr-text--sm">${T.revocable}</p>
</section>`;
  return renderPage({ title: T.title, body, loggedIn: true, csrf });
}
