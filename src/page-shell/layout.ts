/**
 * The page shell of every citizen-facing HTML page: the State's design system (DSFR), served
 * from our own origin (no CDN: no third party learns who visits, and the CSP stays 'self'),
 * accessible landmarks (skip links, banner, main, contentinfo), French, and no JavaScript
 * needed: every page works as plain HTML forms and links.
 *
 * Built with the `html` template tag (../common/html.ts): every interpolated value is escaped
 * unless it is an `Html` fragment, and `body` must be one, so no page can hand the shell a string.
 */
import type { INestApplication } from '@nestjs/common';
import express from 'express';
import { html, joinHtml, type Html } from '../common/index.js';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PAGE_CSS } from './styles.js';

const PAGE_CSS_VERSION = createHash('sha256').update(PAGE_CSS).digest('hex').slice(0, 12);

/** URL prefix of the DSFR assets (CSS, fonts, icons, favicons). */
export const DSFR_PATH = '/dsfr';

/** Where the `@gouvfr/dsfr` package's built assets live (the Dockerfile copies the same folder). */
export function dsfrAssetsDir(): string {
  return join(process.cwd(), 'node_modules', '@gouvfr', 'dsfr', 'dist');
}

let dsfrVersionCache: string | undefined;

/** The installed DSFR version: appended to asset URLs so that a long cache never serves stale files. */
export function dsfrVersion(): string {
  if (dsfrVersionCache === undefined) {
    try {
      const pkg = JSON.parse(
        readFileSync(
          join(process.cwd(), 'node_modules', '@gouvfr', 'dsfr', 'package.json'),
          'utf8',
        ),
      ) as { version?: unknown };
      dsfrVersionCache = typeof pkg.version === 'string' ? pkg.version : '0';
    } catch {
      dsfrVersionCache = '0';
    }
  }
  return dsfrVersionCache;
}

/**
 * Serves the DSFR's `dist/` folder at `/dsfr`, cached for a year: URLs carry the package
 * version, so an upgrade changes them.
 */
export function mountDsfrAssets(app: INestApplication): void {
  app.use(
    DSFR_PATH,
    express.static(dsfrAssetsDir(), {
      maxAge: '365d',
      immutable: true,
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      fallthrough: true,
    }),
  );
  app.use(PAGE_CSS_PATH, (req: express.Request, res: express.Response, next: () => void) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.type('text/css').set('Cache-Control', 'public, max-age=31536000, immutable').send(PAGE_CSS);
  });
}

export interface PageOptions {
  /** The page's own title (escaped here); the document title adds " — Passerelle". */
  title: string;
  /** The content of `<main>`, built with `html`. */
  body: Html;
  lang?: 'fr';
  /** Shows "Se déconnecter" in the header (at every width) when a citizen is logged in. */
  loggedIn?: boolean;
  /**
   * The session's CSRF token: logout is then a POST form in the header. Without it, the header
   * links to GET /auth/logout, a confirmation page with that form (a GET never logs out).
   */
  csrf?: string;
}

const SERVICE_NAME = 'Passerelle';
const SERVICE_TAGLINE = 'Vos justificatifs partagés entre administrations, avec votre accord';

/** Our own small style sheet (what the DSFR has no class for), served from our origin. */
export const PAGE_CSS_PATH = '/assets/passerelle.css';

function asset(path: string): string {
  return `${DSFR_PATH}/${path}?v=${encodeURIComponent(dsfrVersion())}`;
}

/**
 * The citizen's way out. One place renders it, for both spots of the header: the desktop
 * tools and the phone's navbar (DSFR's mobile header pattern without its JavaScript: the
 * control is shown as an icon button beside the logo below the large breakpoint, instead of
 * hiding inside a menu that needs a script to open).
 */
export function logoutControl(placement: 'tools' | 'navbar', csrf?: string): Html {
  const title = placement === 'navbar' ? html` title="Se déconnecter"` : '';
  // With the session's CSRF token, logout is a POST form (a GET never logs out: any page could
  // trigger it). Without one, the link leads to GET /auth/logout, a confirmation page with that form.
  if (csrf) {
    return html`<form method="post" action="/auth/logout"><input type="hidden" name="csrf" value="${csrf}"><button class="fr-btn fr-icon-logout-box-r-line" type="submit"${title} data-logout="${placement}">Se déconnecter</button></form>`;
  }
  return html`<a class="fr-btn fr-icon-logout-box-r-line" href="/auth/logout"${title} data-logout="${placement}">Se déconnecter</a>`;
}

// The brand block is not `fr-enlarge-link`: that pattern stretches its links' ::before over the
// whole brand, which would swallow the navbar's logout control on a phone.
function header(loggedIn: boolean, csrf?: string): Html {
  const tools = loggedIn
    ? html`
        <div class="fr-header__tools">
          <div class="fr-header__tools-links">
            <ul class="fr-btns-group">
              <li>${logoutControl('tools', csrf)}</li>
            </ul>
          </div>
        </div>`
    : '';
  const navbar = loggedIn
    ? html`
            <div class="fr-header__navbar">
              ${logoutControl('navbar', csrf)}
            </div>`
    : '';
  return html`<header role="banner" class="fr-header">
  <div class="fr-header__body">
    <div class="fr-container">
      <div class="fr-header__body-row">
        <div class="fr-header__brand">
          <div class="fr-header__brand-top">
            <div class="fr-header__logo">
              <p class="fr-logo">République<br>Française</p>
            </div>${navbar}
          </div>
          <div class="fr-header__service">
            <a href="/me" title="Accueil — ${SERVICE_NAME}">
              <p class="fr-header__service-title">${SERVICE_NAME}</p>
            </a>
            <p class="fr-header__service-tagline">${SERVICE_TAGLINE}</p>
          </div>
        </div>${tools}
      </div>
    </div>
  </div>
</header>`;
}

/** The footer's mandatory pages (DSFR): path and link text. Served by `InfoPagesController`. */
export const FOOTER_PAGES = [
  { path: '/accessibilite', text: 'Accessibilité : partiellement conforme' },
  { path: '/mentions-legales', text: 'Mentions légales' },
  { path: '/donnees-personnelles', text: 'Données personnelles' },
  { path: '/cookies', text: 'Gestion des cookies' },
] as const;

const FOOTER = html`<footer class="fr-footer" role="contentinfo" id="pied-de-page">
  <div class="fr-container">
    <div class="fr-footer__body">
      <div class="fr-footer__brand fr-enlarge-link">
        <a href="/me" title="Retour à l’accueil — ${SERVICE_NAME} — République Française">
          <p class="fr-logo">République<br>Française</p>
        </a>
      </div>
      <div class="fr-footer__content">
        <p class="fr-footer__content-desc">${SERVICE_NAME} transmet à une administration les justificatifs qu’elle vous demande, seulement avec votre accord, et garde la trace de chaque accès.</p>
        <ul class="fr-footer__content-list">
          <li class="fr-footer__content-item"><a class="fr-footer__content-link" href="https://www.info.gouv.fr">info.gouv.fr</a></li>
          <li class="fr-footer__content-item"><a class="fr-footer__content-link" href="https://www.service-public.fr">service-public.fr</a></li>
          <li class="fr-footer__content-item"><a class="fr-footer__content-link" href="https://www.legifrance.gouv.fr">legifrance.gouv.fr</a></li>
          <li class="fr-footer__content-item"><a class="fr-footer__content-link" href="https://www.data.gouv.fr">data.gouv.fr</a></li>
        </ul>
      </div>
    </div>
    <div class="fr-footer__bottom">
      <ul class="fr-footer__bottom-list" data-footer-pages>
${joinHtml(
  FOOTER_PAGES.map(
    (p) =>
      html`        <li class="fr-footer__bottom-item"><a class="fr-footer__bottom-link" href="${p.path}">${p.text}</a></li>`,
  ),
  '\n',
)}
      </ul>
      <div class="fr-footer__bottom-copy">
        <p data-licence>Sauf mention contraire, les contenus de ce site sont proposés sous <a href="https://github.com/etalab/licence-ouverte/blob/master/LO.md" rel="noopener noreferrer">licence etalab-2.0</a> ; le code de ${SERVICE_NAME} est un logiciel libre sous licence EUPL-1.2.</p>
      </div>
    </div>
  </div>
</footer>`;

/**
 * FranceConnect's official button (DSFR `fr-connect`: "S’identifier avec FranceConnect", and
 * "Qu’est-ce que FranceConnect ?" opening franceconnect.gouv.fr), leading to `href`. Every
 * page that logs a citizen in shows this one, as FranceConnect's integration rules ask.
 */
export function franceConnectButton(href: string): Html {
  return html`<div class="fr-connect-group" data-franceconnect>
<a class="fr-connect" href="${href}">
<span class="fr-connect__login">S’identifier avec</span>
<span class="fr-connect__brand">FranceConnect</span>
</a>
<p><a href="https://franceconnect.gouv.fr/" target="_blank" rel="noopener" title="Qu’est-ce que FranceConnect ? - nouvelle fenêtre">Qu’est-ce que FranceConnect ?</a></p>
</div>`;
}

/** A complete HTML document in the DSFR shell. */
export function renderPage({
  title,
  body,
  lang = 'fr',
  loggedIn = false,
  csrf,
}: PageOptions): string {
  return html`<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="format-detection" content="telephone=no">
<meta name="theme-color" content="#000091">
<title>${title} — ${SERVICE_NAME}</title>
<link rel="stylesheet" href="${asset('dsfr.min.css')}">
<link rel="stylesheet" href="${asset('utility/icons/icons.min.css')}">
<link rel="stylesheet" href="${PAGE_CSS_PATH}?v=${PAGE_CSS_VERSION}">
<link rel="icon" href="${asset('favicon/favicon.svg')}" type="image/svg+xml">
<link rel="shortcut icon" href="${asset('favicon/favicon.ico')}" type="image/x-icon">
<link rel="apple-touch-icon" href="${asset('favicon/apple-touch-icon.png')}">
</head>
<body>
<div class="fr-skiplinks">
  <nav class="fr-container" role="navigation" aria-label="Accès rapide">
    <ul class="fr-skiplinks__list">
      <li><a class="fr-link" href="#contenu">Contenu</a></li>
      <li><a class="fr-link" href="#pied-de-page">Pied de page</a></li>
    </ul>
  </nav>
</div>
${header(loggedIn, csrf)}
<main id="contenu" role="main" tabindex="-1">
<div class="fr-container fr-my-6w">
<h1>${title}</h1>
${body}
</div>
</main>
${FOOTER}
</body>
</html>
`.toString();
}
