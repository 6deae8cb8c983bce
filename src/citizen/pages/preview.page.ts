/**
 * The preview (EU Once-Only style): what each provider holds today for the logged-in citizen,
 * shown as definition lists labelled with the registry's field descriptions. A dataset that
 * could not be fetched shows its own French message; the others still show.
 */
import { html, joinHtml, type Html } from '../../common/index.js';
import {
  type FieldFormat,
  formatScalar,
  GENERIC_LABEL,
  parseFieldDescription,
  topFields,
} from '../fields.js';
import { renderPage } from '../../page-shell/index.js';
import { PREVIEW_PAGE as T } from '../texts.js';
import { seg } from './html.js';

export type PreviewOutcome =
  | { kind: 'ok'; data: unknown }
  /** The provider does not know this citizen; `message` is its sanitized French text. */
  | { kind: 'citizen_unknown'; message: string }
  /** Timeout, open circuit, busy, disabled: try again later. */
  | { kind: 'unavailable' }
  /** Malformed or non-conforming answer, refused credentials… */
  | { kind: 'error' }
  /** The dataset or its provider is no longer active in the registry. */
  | { kind: 'dataset_unavailable' };

export interface PreviewDataset {
  id: string;
  title: string;
  providerName: string;
  /** dotted path -> French description */
  fields: Record<string, string>;
  outcome: PreviewOutcome;
}

export interface PreviewPageModel {
  requestId: string;
  clientName: string;
  datasets: PreviewDataset[];
}

const MAX_DEPTH = 6;

/** The value at a dotted path (`a.b.c`) of the provider's answer. */
export function valueAt(data: unknown, path: string): unknown {
  let current: unknown = data;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The label and format of the value at `path`, from the dataset's descriptions. */
function formatOf(fields: Record<string, string>, path: string): FieldFormat | null {
  const description = fields[path];
  return description === undefined ? null : parseFieldDescription(description);
}

/**
 * One value as HTML: scalars in French (amounts, dates, yes/no, explained codes),
 * objects as definition lists labelled by the descriptions of their own paths, arrays as
 * ordered lists. `path` is the value's dotted path in the answer (array items keep their
 * array's path), `fields` the dataset's descriptions.
 */
export function renderValue(
  value: unknown,
  path = '',
  fields: Record<string, string> = {},
  depth = 0,
): Html {
  if (value === null || value === undefined || value === '') {
    return html`<span class="fr-text--sm">${T.empty}</span>`;
  }
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    const { text, isoDate } = formatScalar(value, formatOf(fields, path));
    return isoDate ? html`<time datetime="${isoDate}">${text}</time>` : html`${text}`;
  }
  if (depth >= MAX_DEPTH) return html`${T.tooDeep}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return html`${T.none}`;
    if (value.length === 1) return renderValue(value[0], path, fields, depth + 1);
    return html`<ol>
${joinHtml(
  value.map(
    (item, i) =>
      html`<li>${isComposite(item) ? html`<span class="fr-sr-only">${T.item(i + 1)}</span>` : ''}${renderValue(item, path, fields, depth + 1)}</li>`,
  ),
  '\n',
)}
</ol>`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return html`${T.empty}`;
    return html`<dl class="fr-ml-2w">
${joinHtml(
  entries.map(([k, v]) => {
    const childPath = path ? `${path}.${k}` : k;
    const label = formatOf(fields, childPath)?.label ?? GENERIC_LABEL;
    return html`<dt class="fr-text--bold fr-mt-1w">${label}</dt><dd class="fr-ml-0">${renderValue(v, childPath, fields, depth + 1)}</dd>`;
  }),
  '\n',
)}
</dl>`;
  }
  return html`${T.empty}`;
}

function isComposite(value: unknown): boolean {
  return value !== null && typeof value === 'object';
}

function outcomeHtml(d: PreviewDataset): Html {
  const alert = (type: 'info' | 'warning' | 'error', text: string, code: string) =>
    html`<div class="fr-alert fr-alert--${type} fr-alert--sm" data-preview-error="${code}">
<p>${text}</p>
</div>`;
  switch (d.outcome.kind) {
    case 'ok': {
      const data = d.outcome.data;
      const fields = d.fields ?? {};
      return html`<dl data-preview-data>
${joinHtml(
  topFields(fields).map(
    ({ path, description }) =>
      html`<dt class="fr-text--bold fr-mt-2w" data-field="${path}">${parseFieldDescription(description).label}</dt>
<dd class="fr-ml-0">${renderValue(valueAt(data, path), path, fields)}</dd>`,
  ),
  '\n',
)}
</dl>`;
    }
    case 'citizen_unknown':
      return html`<div class="fr-alert fr-alert--info fr-alert--sm" data-preview-error="citizen_unknown">
<p><strong>${T.citizenUnknown}.</strong> ${d.outcome.message}</p>
</div>`;
    case 'unavailable':
      return alert('warning', T.providerUnavailable, 'unavailable');
    case 'dataset_unavailable':
      return alert('warning', T.datasetUnavailable, 'dataset_unavailable');
    case 'error':
      return alert('error', T.providerError, 'error');
  }
}

export function previewPage(model: PreviewPageModel): string {
  const sections = joinHtml(
    model.datasets.map(
      (
        d,
        i,
      ) => html`<section class="fr-mb-5w" aria-labelledby="apercu-${i + 1}" data-dataset="${d.id}">
<h2 class="fr-h4 fr-mb-1w" id="apercu-${i + 1}">${d.title}</h2>
<p class="fr-text--sm">${T.providedBy} : ${d.providerName}</p>
${outcomeHtml(d)}
</section>`,
    ),
    '\n',
  );
  const body = html`<p class="fr-text--lead">${T.intro(model.clientName)}</p>
${sections}
<p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/consent/${seg(model.requestId)}">${T.back}</a></p>`;
  return renderPage({ title: T.title, body, loggedIn: true });
}
