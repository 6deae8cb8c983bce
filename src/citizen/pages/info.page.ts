/** The footer's mandatory pages (legal notice, personal data, cookies, accessibility). */
import { escapeHtml, renderPage } from '../../page-shell/index.js';
import { INFO_PAGES } from '../texts.js';

export type InfoPageId = keyof typeof INFO_PAGES;

export function infoPage(id: InfoPageId, loggedIn: boolean): string {
  const page = INFO_PAGES[id];
  const body = page.sections
    .map(
      (s) => `<h2 class="fr-h4 fr-mt-4w">${escapeHtml(s.heading)}</h2>
${s.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}`,
    )
    .join('\n');
  return renderPage({
    title: page.title,
    body: `<div data-info-page="${escapeHtml(id)}">${body}</div>`,
    loggedIn,
  });
}
