/**
 * /me for a visitor who is not logged in: what the space is for, then FranceConnect's official
 * button ("S’identifier avec FranceConnect" and "Qu’est-ce que FranceConnect ?"), as
 * FranceConnect's integration rules ask of every service, instead of a silent redirect.
 */
import { escapeHtml, franceConnectButton, renderPage } from '../../page-shell/index.js';
import { WELCOME_PAGE as T } from '../texts.js';

export function welcomePage(loginHref: string): string {
  const body = `<p class="fr-text--lead">${escapeHtml(T.lead)}</p>
<h2 class="fr-h4">${escapeHtml(T.whatHeading)}</h2>
<ul>
${T.what.map((w) => `<li>${escapeHtml(w)}</li>`).join('\n')}
</ul>
<section class="fr-mt-4w" aria-labelledby="connexion">
<h2 class="fr-h4" id="connexion">${escapeHtml(T.loginHeading)}</h2>
<p>${escapeHtml(T.loginHint)}</p>
${franceConnectButton(loginHref)}
</section>`;
  return renderPage({ title: T.title, body });
}
