import { html } from '../common/index.js';
import { franceConnectButton, renderPage } from './layout.js';

describe('citizen page layout', () => {
  it('renders an accessible French DSFR page with local assets and an escaped title', () => {
    const page = renderPage({ title: 'Titre <b>gras</b>', body: html`<p>corps</p>` });
    expect(page).toMatch(/^<!DOCTYPE html>\n<html lang="fr">/);
    expect(page).toContain('<title>Titre &lt;b&gt;gras&lt;/b&gt; — Passerelle</title>');
    expect(page).toContain('<h1>Titre &lt;b&gt;gras&lt;/b&gt;</h1>');
    expect(page).toContain('<p>corps</p>');
    expect(page).toMatch(/<a class="fr-link" href="#contenu">/);
    expect(page).toMatch(/<header role="banner" class="fr-header">/);
    expect(page).toContain('<p class="fr-logo">République<br>Française</p>');
    expect(page).toContain('<p class="fr-header__service-title">Passerelle</p>');
    expect(page).toMatch(/<main id="contenu" role="main" tabindex="-1">/);
    expect(page).toMatch(/<footer class="fr-footer" role="contentinfo" id="pied-de-page">/);
    expect(page).toMatch(/<link rel="stylesheet" href="\/dsfr\/dsfr\.min\.css\?v=\d+\.\d+\.\d+">/);
    expect(page).not.toMatch(/<script/);
    expect(page).not.toContain('Se déconnecter');
  });

  it('makes the header logout a POST form carrying the CSRF token when the page has one', () => {
    const page = renderPage({ title: 't', body: html``, loggedIn: true, csrf: 'tok"en' });
    expect(page).toContain('<form method="post" action="/auth/logout">');
    expect(page).toContain('name="csrf" value="tok&quot;en"');
    expect(page).not.toContain('href="/auth/logout"');
  });

  it('offers logout in the header when a citizen is logged in, on a desktop and on a phone', () => {
    const page = renderPage({ title: 't', body: html``, loggedIn: true });
    // The desktop tools and the phone's navbar (DSFR mobile header, no JavaScript needed).
    expect(page).toMatch(/<div class="fr-header__tools-links">[\s\S]*data-logout="tools"/);
    expect(page).toMatch(
      /<div class="fr-header__navbar">\s*<a [^>]*href="\/auth\/logout"[^>]*data-logout="navbar"/,
    );
  });

  it('links the footer’s mandatory pages and states the licence', () => {
    const page = renderPage({ title: 't', body: html`` });
    for (const [href, text] of [
      ['/accessibilite', 'Accessibilité : partiellement conforme'],
      ['/mentions-legales', 'Mentions légales'],
      ['/donnees-personnelles', 'Données personnelles'],
      ['/cookies', 'Gestion des cookies'],
    ]) {
      expect(page).toContain(`<a class="fr-footer__bottom-link" href="${href}">${text}</a>`);
    }
    expect(page).toContain('licence etalab-2.0');
    expect(page).toMatch(
      /<link rel="stylesheet" href="\/assets\/passerelle\.css\?v=[0-9a-f]{12}">/,
    );
  });

  it('renders FranceConnect’s official button with its explanation link, href escaped', () => {
    const page = franceConnectButton('/auth/login?returnTo=%2Fme&x="').toString();
    expect(page).toContain('<a class="fr-connect" href="/auth/login?returnTo=%2Fme&amp;x=&quot;">');
    expect(page).toContain('<span class="fr-connect__login">S’identifier avec</span>');
    expect(page).toContain('<span class="fr-connect__brand">FranceConnect</span>');
    expect(page).toMatch(
      /<a href="https:\/\/franceconnect\.gouv\.fr\/"[^>]*>Qu’est-ce que FranceConnect \?<\/a>/,
    );
  });
});
