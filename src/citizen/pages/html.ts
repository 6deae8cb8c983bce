/** Small HTML helpers shared by the citizen pages. */
import { html, type Html } from '../../common/index.js';

/**
 * An http(s) URL fit for an `href`, or null: a registry value such as a legal basis link must
 * never become `javascript:` or `data:` in a citizen's page.
 */
export function safeHttpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** `<time>` with the machine-readable instant and the French text. */
export function timeTag(date: Date, text: string): Html {
  return html`<time datetime="${date.toISOString()}">${text}</time>`;
}

/** The hidden field of the session's CSRF token. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}

/** Path segment of an id (ids are uuids, encoded anyway). */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
