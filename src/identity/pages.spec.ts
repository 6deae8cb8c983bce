import { loginErrorPage, logoutConfirmPage, whoamiPage } from './pages.js';
import type { CitizenPrincipal } from './identity.types.js';

/** A value that would be an element (and break out of an attribute) if rendered raw. */
const bad = (field: string) => `"'><i data-f="${field}">&\``;
const asText = (field: string) => `&quot;&#39;&gt;&lt;i data-f=&quot;${field}&quot;&gt;&amp;&#96;`;

describe('identity pages escape every interpolated field', () => {
  it('login error, logout confirmation and "connected as" pages', () => {
    const pages = {
      requestId: loginErrorPage('login_state_mismatch', bad('requestId')),
      csrf: logoutConfirmPage(bad('csrf')),
      names: whoamiPage(
        {
          identity: { given_name: bad('given_name'), family_name: bad('family_name') },
        } as unknown as CitizenPrincipal,
        bad('header.csrf'),
      ),
    };
    for (const page of Object.values(pages)) expect(page).not.toMatch(/<i data-f=/);
    expect(pages.requestId).toContain(`<code>${asText('requestId')}</code>`);
    expect(pages.csrf).toContain(`name="csrf" value="${asText('csrf')}"`);
    expect(pages.names).toContain(`<strong data-given-name>${asText('given_name')}</strong>`);
    expect(pages.names).toContain(asText('family_name'));
    expect(pages.names).toContain(`name="csrf" value="${asText('header.csrf')}"`);
  });
});
