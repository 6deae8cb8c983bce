/** The footer's mandatory pages (legal notice, personal data, cookies, accessibility). */
import { html, joinHtml } from '../../common/index.js';
import { renderPage } from '../../page-shell/index.js';
import { INFO_PAGES } from '../texts.js';

export type InfoPageId = keyof typeof INFO_PAGES;

export function infoPage(id: InfoPageId, loggedIn: boolean): string {
  const page = INFO_PAGES[id];
  const body = joinHtml(
    page.sections.map(
      (s) => html`<h2 class="fr-h4 fr-mt-4w">${s.heading}</h2>
${joinHtml(
  s.paragraphs.map((p) => html`<p>${p}</p>`),
  '\n',
)}`,
    ),
    '\n',
  );
  return renderPage({
    title: page.title,
    body: html`<div data-info-page="${id}">${body}</div>`,
    loggedIn,
  });
}
