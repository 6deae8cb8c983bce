/**
 * The template layer of every HTML page (citizen pages, login pages, the sandboxes' pages):
 * HTML is written as `html` tagged templates, and every interpolated value is escaped unless it
 * is itself an `Html` fragment. Raw markup exists only where a caller writes `unsafeRawHtml(…)`,
 * the one explicit marker (grep for it to review every exception).
 *
 * Why by construction rather than by habit: `Html` is a nominal type (a class with a private
 * field), so a page shell or a helper that takes `Html` refuses a plain string at compile time.
 * A forgotten escape is no longer a script in a consent page: at worst, visible `&lt;` text.
 *
 * Why our own forty lines rather than a library: the template literals the pages already had map
 * onto this one for one (same markup, byte for byte), the type does the enforcing, and the
 * sandboxes share it without a runtime dependency of their own. JSX (@kitajs/html) would have
 * changed every page's whitespace and escapes children only where a `safe` attribute or its
 * editor plugin says so; tagged-template libraries seen in the registry return plain strings,
 * which no type can tell apart from unescaped text.
 *
 * Domain-free: the sandboxes import it too (the direction sandbox → src/common is allowed; the
 * product never imports a sandbox).
 */
import { withoutInvisibleCharacters } from './input-guard.js';

/** Only this module holds it: an `Html` cannot be made elsewhere but through the functions below. */
const TRUSTED: unique symbol = Symbol('trusted markup');

/** Escaped, well-formed markup. Only `html`, `joinHtml` and `unsafeRawHtml` make one. */
export class Html {
  readonly #markup: string;

  constructor(token: typeof TRUSTED, markup: string) {
    if (token !== TRUSTED) throw new TypeError('Html is made by html`…` or unsafeRawHtml()');
    this.#markup = markup;
  }

  toString(): string {
    return this.#markup;
  }
}

/**
 * What a template may interpolate: fragments (kept as they are), text and numbers (escaped),
 * null/undefined (nothing), and arrays of these (concatenated). Booleans are left out on
 * purpose: `${cond && x}` would print "false".
 */
export type HtmlValue = Html | string | number | bigint | null | undefined | readonly HtmlValue[];

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Escapes text for an HTML text node or a quoted attribute. `null`/`undefined` give ''.
 * Invisible formatting characters (bidi overrides, zero-width…) are dropped: whatever was stored
 * before the API refused them, a page reads as what it says. Not exported: pages cannot escape
 * by hand, nor forget to.
 */
function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return withoutInvisibleCharacters(String(value)).replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

/**
 * The tag: `html\`<p>${text}</p>\`` escapes `text`. Only a real template literal is accepted
 * (its strings array is frozen and carries `raw`), so `html([userText] as never)` cannot smuggle
 * markup in.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  if (!Object.isFrozen(strings) || !Array.isArray(strings.raw)) {
    throw new TypeError('html must be used as a template tag');
  }
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(TRUSTED, out);
}

/** Fragments joined by `separator` (text, escaped like any other text). */
export function joinHtml(parts: readonly HtmlValue[], separator = ''): Html {
  return new Html(TRUSTED, parts.map(render).join(escapeHtml(separator)));
}

/**
 * The explicit marker for markup that is not built by `html`: a constant owned by our own code
 * (a style sheet), never a value that came from a request, the registry or a provider.
 */
export function unsafeRawHtml(trustedMarkup: string): Html {
  return new Html(TRUSTED, trustedMarkup);
}
