import { html } from '../../src/common/html.js';
import {
  callbackPage,
  franceConnectRefusedPage,
  franceConnectResultPage,
  outcomeAlert,
  receivedDetails,
  requestRefusedPage,
  startPage,
} from './pages.js';

/** A value that would be an element (and break out of an attribute) if rendered raw. */
const bad = (field: string) => `"'><i data-f="${field}">&\``;
const asText = (field: string) => `&quot;&#39;&gt;&lt;i data-f=&quot;${field}&quot;&gt;&amp;&#96;`;

function expectEscaped(page: string, fields: string[]): void {
  expect(page).not.toMatch(/<i data-f=/);
  for (const field of fields) {
    if (!page.includes(asText(field))) throw new Error(`field ${field} is not escaped`);
  }
}

describe('demo service pages escape what the gateway, FranceConnect and the URL send back', () => {
  it('request form and refusals', () => {
    expectEscaped(startPage([bad('dataset')], bad('purpose'), true), ['dataset', 'purpose']);
    expectEscaped(requestRefusedPage(bad('detail'), bad('code')), ['detail', 'code']);
    expectEscaped(franceConnectRefusedPage(bad('error')), ['error']);
  });

  it('return from FranceConnect: scopes, dataset ids and JSON answers', () => {
    const page = franceConnectResultPage(
      [bad('scope')],
      [{ dataset: bad('fc.dataset'), status: 200, body: { v: bad('fc.value') } }],
    );
    expectEscaped(page, ['scope', 'fc.dataset']);
    // JSON.stringify escapes the quotes once more; the markup is still text.
    expect(page).toContain('&lt;i data-f=\\&quot;fc.value\\&quot;&gt;');
  });

  it('return from Passerelle: outcome, datasets, answers, receipt and the parameters received', () => {
    const details = receivedDetails(
      [
        { dataset: bad('ok.dataset'), status: 200, body: { v: 1 } },
        { dataset: bad('ko.dataset'), status: 502, body: { detail: bad('ko.detail') } },
      ],
      bad('receipt'),
    );
    const page = callbackPage(outcomeAlert('info', bad('title'), bad('text')), details, {
      requestId: bad('requestId'),
      status: bad('status'),
      state: bad('state'),
      stateOk: false,
    });
    expectEscaped(page, [
      'ok.dataset',
      'ko.dataset',
      'ko.detail',
      'receipt',
      'title',
      'text',
      'requestId',
      'status',
      'state',
    ]);
    expect(
      callbackPage(html`<p>ok</p>`, '', { requestId: '', status: '', state: '', stateOk: true }),
    ).toContain('<p>ok</p>');
  });
});
