/**
 * The FranceConnect sandbox's own pages (login with the test citizens, errors, logout), plain
 * HTML with an inline style sheet. Built with the gateway's `html` template tag: every
 * interpolated value (client ids, error descriptions from the request, the login typed) is
 * escaped unless it is an `Html` fragment.
 */
import type { ServerResponse } from 'node:http';
import type { InteractionDetails } from 'oidc-provider';
import { html, joinHtml, unsafeRawHtml, type Html } from '../../src/common/html.js';
import { TEST_CITIZENS } from '../citizens.js';

/** Our own constant: the CSP allows this page's inline style and nothing else. */
// eslint-disable-next-line no-restricted-syntax -- a constant style sheet of ours, no value in it
const STYLE = unsafeRawHtml(
  'body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#161616}' +
    'h1{font-size:1.5rem;color:#000091}label{display:block;margin-top:1rem;font-weight:600}' +
    'input{display:block;width:100%;max-width:20rem;padding:.4rem;margin-top:.25rem}' +
    'button{margin-top:1.25rem;padding:.5rem 1.25rem;background:#000091;color:#fff;border:0;cursor:pointer}' +
    '.erreur{color:#ce0500;font-weight:600}table{border-collapse:collapse;margin-top:1rem;font-size:.9rem}' +
    'td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}small{color:#666}',
);

function page(title: string, content: Html): string {
  return html`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — FranceConnect (bac à sable)</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p><small>FranceConnect — bac à sable local, pour les tests et la démonstration.</small></p>
${content}
</main>
</body>
</html>
`.toString();
}

export function sendHtml(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(body);
}

/** The login form, under `prefix` (FranceConnect's `/api/v2`), with the table of test citizens. */
export function loginPage(
  prefix: string,
  details: InteractionDetails,
  state: { error?: string; login?: string } = {},
): string {
  const uid = encodeURIComponent(details.uid);
  const rows = joinHtml(
    TEST_CITIZENS.map(
      (c) =>
        html`<tr><td><code>${c.login}</code></td><td>${c.given_name} ${c.family_name}</td><td>${c.note}</td></tr>`,
    ),
    '\n',
  );
  return page(
    'Connexion',
    html`<h1>Je me connecte avec FranceConnect</h1>
<p>Le service <strong>${String(details.params.client_id ?? '')}</strong> demande à vous identifier.</p>
${state.error ? html`<p class="erreur" role="alert">${state.error}</p>` : ''}
<form method="post" action="${prefix}/interaction/${uid}/login" data-fc-sandbox="login">
<label for="login">Identifiant de l’usager de test</label>
<input id="login" name="login" type="text" autocomplete="username" required value="${state.login ?? ''}">
<label for="password">Mot de passe <small>(n’importe quelle valeur)</small></label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Se connecter</button>
</form>
<p><a href="${prefix}/interaction/${uid}/abort" data-fc-sandbox="cancel">Annuler et revenir au service</a></p>
<h2>Usagers de test</h2>
<table>
<tr><th>Identifiant</th><th>Identité</th><th>Particularité</th></tr>
${rows}
</table>`,
  );
}

export function errorPage(title: string, detail: Record<string, unknown>): string {
  const lines = joinHtml(
    Object.entries(detail)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => html`<li><strong>${k}</strong> : ${String(v)}</li>`),
    '\n',
  );
  return page(title, html`<h1>${title}</h1>\n<ul>\n${lines}\n</ul>`);
}

export function loggedOutPage(): string {
  return page(
    'Déconnexion',
    html`<h1>Vous êtes déconnecté de FranceConnect</h1><p>Vous pouvez fermer cette page.</p>`,
  );
}

/** The sandbox's home: its issuer and a link to its discovery document. */
export function homePage(issuer: string, discoveryPath: string): string {
  return page(
    'Accueil',
    html`<h1>FranceConnect — bac à sable</h1>
<p>Émetteur : <code>${issuer}</code></p>
<p><a href="${discoveryPath}">Configuration OpenID Connect</a></p>`,
  );
}
