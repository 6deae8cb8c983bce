/**
 * The preview (EU Once-Only style): what each provider holds today for the logged-in citizen,
 * shown as definition lists labelled with the registry's field descriptions. A dataset that
 * could not be fetched shows its own French message; the others still show.
 */
import {
  type FieldFormat,
  formatScalar,
  GENERIC_LABEL,
  parseFieldDescription,
  topFields,
} from '../fields.js';
import { escapeHtml, renderPage } from '../../page-shell/index.js';
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
 * One value as escaped HTML: scalars in French (amounts, dates, yes/no, explained codes),
 * objects as definition lists labelled by the descriptions of their own paths, arrays as
 * ordered lists. `path` is the value's dotted path in the answer (array items keep their
 * array's path), `fields` the dataset's descriptions.
 */
export function renderValue(
  value: unknown,
  path = '',
  fields: Record<string, string> = {},
  depth = 0,
): string {
  if (value === null || value === undefined || value === '') {
    return `<span class="fr-text--sm">${escapeHtml(T.empty)}</span>`;
  }
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    const { text, isoDate } = formatScalar(value, formatOf(fields, path));
    return isoDate
      ? `<time datetime="${escapeHtml(isoDate)}">${escapeHtml(text)}</time>`
      : escapeHtml(text);
  }
  if (depth >= MAX_DEPTH) return escapeHtml(T.tooDeep);
  if (Array.isArray(value)) {
    if (value.length === 0) return escapeHtml(T.none);
    if (value.length === 1) return renderValue(value[0], path, fields, depth + 1);
    return `<ol>
${value.map((item, i) => `<li>${isComposite(item) ? `<span class="fr-sr-only">${escapeHtml(T.item(i + 1))}</span>` : ''}${renderValue(item, path, fields, depth + 1)}</li>`).join('\n')}
</ol>`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return escapeHtml(T.empty);
    return `<dl class="fr-ml-2w">
${entries
  .map(([k, v]) => {
    const childPath = path ? `${path}.${k}` : k;
    const label = formatOf(fields, childPath)?.label ?? GENERIC_LABEL;
    return `<dt class="fr-text--bold fr-mt-1w">${escapeHtml(label)}</dt><dd class="fr-ml-0">${renderValue(v, childPath, fields, depth + 1)}</dd>`;
  })
  .join('\n')}
</dl>`;
  }
  return escapeHtml(T.empty);
}

function isComposite(value: unknown): boolean {
  return value !== null && typeof value === 'object';
}

function outcomeHtml(d: PreviewDataset): string {
  const alert = (type: 'info' | 'warning' | 'error', text: string, code: string) =>
    `<div class="fr-alert fr-alert--${type} fr-alert--sm" data-preview-error="${escapeHtml(code)}">
<p>${escapeHtml(text)}</p>
</div>`;
  switch (d.outcome.kind) {
    case 'ok': {
      const data = d.outcome.data;
      const fields = d.fields ?? {};
      return `<dl data-preview-data>
${topFields(fields)
  .map(
    ({ path, description }) =>
      `<dt class="fr-text--bold fr-mt-2w" data-field="${escapeHtml(path)}">${escapeHtml(parseFieldDescription(description).label)}</dt>
<dd class="fr-ml-0">${renderValue(valueAt(data, path), path, fields)}</dd>`,
  )
  .join('\n')}
</dl>`;
    }
    case 'citizen_unknown':
      return `<div class="fr-alert fr-alert--info fr-alert--sm" data-preview-error="citizen_unknown">
<p><strong>${escapeHtml(T.citizenUnknown)}.</strong> ${escapeHtml(d.outcome.message)}</p>
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
  const sections = model.datasets
    .map(
      (
        d,
        i,
      ) => `<section class="fr-mb-5w" aria-labelledby="apercu-${i + 1}" data-dataset="${escapeHtml(d.id)}">
<h2 class="fr-h4 fr-mb-1w" id="apercu-${i + 1}">${escapeHtml(d.title)}</h2>
<p class="fr-text--sm">${escapeHtml(T.providedBy)} : ${escapeHtml(d.providerName)}</p>
${outcomeHtml(d)}
</section>`,
    )
    .join('\n');
  const body = `<p class="fr-text--lead">${escapeHtml(T.intro(model.clientName))}</p>
${sections}
<p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/consent/${seg(model.requestId)}">${escapeHtml(T.back)}</a></p>`;
  return renderPage({ title: T.title, body, loggedIn: true });
}
