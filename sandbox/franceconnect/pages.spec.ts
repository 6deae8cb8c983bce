import type { InteractionDetails } from 'oidc-provider';
import { errorPage, homePage, loginPage } from './pages.js';

/** A value that would be an element (and break out of an attribute) if rendered raw. */
const bad = (field: string) => `"'><i data-f="${field}">&\``;
const asText = (field: string) => `&quot;&#39;&gt;&lt;i data-f=&quot;${field}&quot;&gt;&amp;&#96;`;

describe('FranceConnect sandbox pages escape what a request carries', () => {
  it('login page: the client id, the error and the login typed', () => {
    const details = {
      uid: 'u1',
      params: { client_id: bad('client_id') },
    } as unknown as InteractionDetails;
    const page = loginPage('/api/v2', details, { error: bad('error'), login: bad('login') });
    expect(page).not.toMatch(/<i data-f=/);
    expect(page).toContain(`<strong>${asText('client_id')}</strong>`);
    expect(page).toContain(`<p class="erreur" role="alert">${asText('error')}</p>`);
    expect(page).toContain(`value="${asText('login')}"`);
    expect(page).toContain('action="/api/v2/interaction/u1/login"');
    // The inline style sheet is ours, marked raw: it stays CSS.
    expect(page).toMatch(/<style>body\{font-family:system-ui/);
  });

  it('error and home pages', () => {
    const error = errorPage(bad('title'), { error: bad('error'), error_description: bad('desc') });
    const home = homePage(bad('issuer'), '/api/v2/.well-known/openid-configuration');
    for (const page of [error, home]) expect(page).not.toMatch(/<i data-f=/);
    expect(error).toContain(`<h1>${asText('title')}</h1>`);
    expect(error).toContain(`<li><strong>error</strong> : ${asText('error')}</li>`);
    expect(error).toContain(asText('desc'));
    expect(home).toContain(`<code>${asText('issuer')}</code>`);
  });
});
