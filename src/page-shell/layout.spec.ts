import { escapeHtml, franceConnectButton, renderPage } from './layout.js';

describe('citizen page layout', () => {
  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<script>alert("x") & 'y' \`z\`</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39; &#96;z&#96;&lt;/script&gt;',
    );
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });

  it('drops invisible formatting characters (bidi overrides) before escaping', () => {
    expect(escapeHtml('Mairie \u202E<b>\u202C')).toBe('Mairie &lt;b&gt;');
  });

  it('renders an accessible French DSFR page with local assets and an escaped title', () => {
    const html = renderPage({ title: 'Titre <b>gras</b>', body: '<p>corps</p>' });
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="fr">/);
    expect(html).toContain('<title>Titre &lt;b&gt;gras&lt;/b&gt; — Passerelle</title>');
    expect(html).toContain('<h1>Titre &lt;b&gt;gras&lt;/b&gt;</h1>');
    expect(html).toContain('<p>corps</p>');
    expect(html).toMatch(/<a class="fr-link" href="#contenu">/);
    expect(html).toMatch(/<header role="banner" class="fr-header">/);
    expect(html).toContain('<p class="fr-logo">République<br>Française</p>');
    expect(html).toContain('<p class="fr-header__service-title">Passerelle</p>');
    expect(html).toMatch(/<main id="contenu" role="main" tabindex="-1">/);
    expect(html).toMatch(/<footer class="fr-footer" role="contentinfo" id="pied-de-page">/);
    expect(html).toMatch(/<link rel="stylesheet" href="\/dsfr\/dsfr\.min\.css\?v=\d+\.\d+\.\d+">/);
    expect(html).not.toMatch(/<script/);
    expect(html).not.toContain('Se déconnecter');
  });

  it('makes the header logout a POST form carrying the CSRF token when the page has one', () => {
    const html = renderPage({ title: 't', body: '', loggedIn: true, csrf: 'tok"en' });
    expect(html).toContain('<form method="post" action="/auth/logout">');
    expect(html).toContain('name="csrf" value="tok&quot;en"');
    expect(html).not.toContain('href="/auth/logout"');
  });

  it('offers logout in the header when a citizen is logged in, on a desktop and on a phone', () => {
    const html = renderPage({ title: 't', body: '', loggedIn: true });
    // The desktop tools and the phone's navbar (DSFR mobile header, no JavaScript needed).
    expect(html).toMatch(/<div class="fr-header__tools-links">[\s\S]*data-logout="tools"/);
    expect(html).toMatch(
      /<div class="fr-header__navbar">\s*<a [^>]*href="\/auth\/logout"[^>]*data-logout="navbar"/,
    );
  });

  it('links the footer’s mandatory pages and states the licence', () => {
    const html = renderPage({ title: 't', body: '' });
    for (const [href, text] of [
      ['/accessibilite', 'Accessibilité : partiellement conforme'],
      ['/mentions-legales', 'Mentions légales'],
      ['/donnees-personnelles', 'Données personnelles'],
      ['/cookies', 'Gestion des cookies'],
    ]) {
      expect(html).toContain(`<a class="fr-footer__bottom-link" href="${href}">${text}</a>`);
    }
    expect(html).toContain('licence etalab-2.0');
    expect(html).toMatch(
      /<link rel="stylesheet" href="\/assets\/passerelle\.css\?v=[0-9a-f]{12}">/,
    );
  });

  it('renders FranceConnect’s official button with its explanation link, href escaped', () => {
    const html = franceConnectButton('/auth/login?returnTo=%2Fme&x="');
    expect(html).toContain('<a class="fr-connect" href="/auth/login?returnTo=%2Fme&amp;x=&quot;">');
    expect(html).toContain('<span class="fr-connect__login">S’identifier avec</span>');
    expect(html).toContain('<span class="fr-connect__brand">FranceConnect</span>');
    expect(html).toMatch(
      /<a href="https:\/\/franceconnect\.gouv\.fr\/"[^>]*>Qu’est-ce que FranceConnect \?<\/a>/,
    );
  });
});
