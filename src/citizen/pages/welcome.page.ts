/**
 * /me for a visitor who is not logged in: what the space is for, then FranceConnect's official
 * button ("S’identifier avec FranceConnect" and "Qu’est-ce que FranceConnect ?"), as
 * FranceConnect's integration rules ask of every service, instead of a silent redirect.
 */
import { html, joinHtml } from '../../common/index.js';
import { franceConnectButton, renderPage } from '../../page-shell/index.js';
import { WELCOME_PAGE as T } from '../texts.js';

export function welcomePage(loginHref: string): string {
  const body = html`<p class="fr-text--lead">${T.lead}</p>
<h2 class="fr-h4">${T.whatHeading}</h2>
<ul>
${joinHtml(
  T.what.map((w) => html`<li>${w}</li>`),
  '\n',
)}
</ul>
<section class="fr-mt-4w" aria-labelledby="connexion">
<h2 class="fr-h4" id="connexion">${T.loginHeading}</h2>
<p>${T.loginHint}</p>
${franceConnectButton(loginHref)}
</section>`;
  return renderPage({ title: T.title, body });
}
