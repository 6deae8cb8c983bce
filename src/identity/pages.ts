/**
 * The identity module's HTML pages (French, DSFR shell, no JavaScript). User-facing text of
 * login errors lives in errors.ts (LOGIN_ERROR_TEXT); the rest is here.
 */
import { html } from '../common/index.js';
import { franceConnectButton, renderPage } from '../page-shell/index.js';
import { LOGIN_ERROR_TEXT, type LoginErrorCode } from './errors.js';
import type { CitizenPrincipal } from './identity.types.js';

export function loginErrorPage(code: LoginErrorCode, requestId: string): string {
  const text = LOGIN_ERROR_TEXT[code];
  const retry = code.startsWith('logout_') ? '' : franceConnectButton('/auth/login');
  return renderPage({
    title: text.title,
    body: html`<div class="fr-alert fr-alert--error fr-mb-4w" role="alert">
  <p>${text.message}</p>
</div>
<p class="fr-text--sm">Code de l’erreur : <code data-error-code>${code}</code><br>
Référence à communiquer au support : <code>${requestId}</code></p>
${retry}`,
  });
}

/**
 * GET /auth/logout: a page any site can open (a link, an image), so it only asks; the button
 * posts the session's CSRF token to POST /auth/logout, which logs out.
 */
export function logoutConfirmPage(csrf: string): string {
  return renderPage({
    title: 'Se déconnecter',
    body: html`<p>Voulez-vous vous déconnecter de Passerelle et de FranceConnect ?</p>
<form method="post" action="/auth/logout">
  <input type="hidden" name="csrf" value="${csrf}">
  <ul class="fr-btns-group fr-btns-group--inline-md">
    <li><button class="fr-btn" type="submit">Se déconnecter</button></li>
    <li><a class="fr-btn fr-btn--secondary" href="/me">Annuler</a></li>
  </ul>
</form>`,
  });
}

export function loggedOutPage(providerReached: boolean): string {
  const note = providerReached
    ? ''
    : html`<div class="fr-alert fr-alert--warning fr-mb-4w">
  <p>FranceConnect n’a pas pu être joint : pensez à vous déconnecter aussi de FranceConnect ou à fermer votre navigateur.</p>
</div>`;
  return renderPage({
    title: 'Vous êtes déconnecté',
    body: html`<p>Vous êtes déconnecté de Passerelle${providerReached ? ' et de FranceConnect' : ''}.</p>
${note}
${franceConnectButton('/auth/login')}`,
  });
}

export function whoamiPage(citizen: CitizenPrincipal, csrf?: string): string {
  const { given_name, family_name } = citizen.identity;
  return renderPage({
    title: 'Connecté',
    loggedIn: true,
    csrf,
    body: html`<p>Connecté en tant que <strong data-given-name>${given_name}</strong> ${family_name}, avec FranceConnect.</p>
<ul class="fr-btns-group fr-btns-group--inline-md">
</ul>`,
  });
}
