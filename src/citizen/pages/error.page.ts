/** The citizen module's error page: what happened in French, the stable code, the reference. */
import { html } from '../../common/index.js';
import { renderPage } from '../../page-shell/index.js';
import { ERROR_PAGE as T } from '../texts.js';

export interface ErrorPageModel {
  status: number;
  code: string;
  requestId: string;
  loggedIn: boolean;
}

/** The French title and message for a code, else for its status, else the generic one. */
export function errorText(code: string, status: number): { title: string; message: string } {
  return (
    T.byCode[code] ?? T.byStatus[status] ?? (status >= 500 ? T.byStatus[500] : T.byStatus[400])
  );
}

export function errorPage({ status, code, requestId, loggedIn }: ErrorPageModel): string {
  const text = errorText(code, status);
  return renderPage({
    title: text.title,
    loggedIn,
    body: html`<div class="fr-alert fr-alert--error fr-mb-4w" role="alert">
<p>${text.message}</p>
</div>
<p class="fr-text--sm">${T.codeLabel} : <code data-error-code>${code}</code><br>
${T.referenceLabel} : <code>${requestId}</code></p>
<ul class="fr-btns-group fr-btns-group--inline-md">
  <li><a class="fr-btn fr-btn--secondary" href="/me">${T.home}</a></li>
</ul>`,
  });
}
