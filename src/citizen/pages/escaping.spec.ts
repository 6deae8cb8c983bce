/**
 * Escape by default, page by page: every interpolated field of every citizen page gets its own
 * hostile value, and each comes out escaped (as text, or percent-encoded in a URL), never as
 * markup. A new field rendered raw makes its `<i data-f="…">` appear and this test fail.
 */
import type { ConsentRequestView, CitizenConsentView } from '../../consent/index.js';
import type { AccessEntry } from '../access-log.types.js';
import { html } from '../../common/index.js';
import { consentPage } from './consent.page.js';
import { errorPage } from './error.page.js';
import { accessProofColumn, mePage } from './me.page.js';
import { previewPage } from './preview.page.js';
import { welcomePage } from './welcome.page.js';

/** A value that would be an element (and break out of an attribute) if rendered raw. */
const bad = (field: string) => `"'><i data-f="${field}">&\``;
const asText = (field: string) => `&quot;&#39;&gt;&lt;i data-f=&quot;${field}&quot;&gt;&amp;&#96;`;
const asUrl = (field: string) => encodeURIComponent(bad(field)).replace(/'/g, '&#39;');

function expectEscaped(page: string, fields: string[]): void {
  expect(page).not.toMatch(/<i data-f=/);
  for (const field of fields) {
    const found = page.includes(asText(field)) || page.includes(asUrl(field));
    if (!found) throw new Error(`field ${field} is missing from the page, or not escaped`);
  }
}

describe('every citizen page escapes every interpolated field', () => {
  it('consent page', () => {
    const dataset = (n: number): ConsentRequestView['datasets'][number] => ({
      id: bad(`dataset${n}.id`),
      title: bad(`dataset${n}.title`),
      description: bad(`dataset${n}.description`),
      provider: { id: 'p', name: bad(`dataset${n}.provider.name`) },
      // Seven fields: five shown, two behind "Voir les 2 autres informations".
      fields: Object.fromEntries(
        Array.from({ length: 7 }, (_, i) => [`f${i}`, bad(`dataset${n}.field${i}`)]),
      ),
    });
    const request: ConsentRequestView = {
      id: bad('id'),
      status: 'pending',
      client: { clientId: 'c', name: bad('client.name'), siret: bad('client.siret') },
      purpose: bad('purpose'),
      habilitationPurpose: bad('habilitationPurpose'),
      legalBasis: bad('legalBasis'),
      legalBasisUrl: `https://example.org/${bad('legalBasisUrl')}`,
      datasets: [dataset(1), dataset(2)],
      durationDays: 30,
      validUntil: new Date('2027-03-14T10:00:00Z'),
      fetchMode: 'once',
      expiresAt: new Date('2026-11-28T10:15:00Z'),
      citizenId: null,
    };
    const page = consentPage({ request, csrf: bad('csrf') });
    expectEscaped(page, [
      'id',
      'client.name',
      'client.siret',
      'purpose',
      'habilitationPurpose',
      'legalBasis',
      'csrf',
      ...[1, 2].flatMap((n) => [
        `dataset${n}.id`,
        `dataset${n}.title`,
        `dataset${n}.description`,
        `dataset${n}.provider.name`,
        ...Array.from({ length: 7 }, (_, i) => `dataset${n}.field${i}`),
      ]),
    ]);
    // The legal basis link: a URL the parser re-encoded, inside a quoted attribute.
    expect(page).toContain('href="https://example.org/%22&#39;%3E%3Ci%20data-f=%22legalBasisUrl');
  });

  it('/me page, with its consents, its access log, the proof column and an extra one', () => {
    const consent = (status: CitizenConsentView['status']): CitizenConsentView => ({
      id: bad(`${status}.id`),
      client: { name: bad(`${status}.client.name`), siret: 's' },
      datasets: [
        { id: 'd', title: bad(`${status}.dataset.title`), providerName: bad(`${status}.provider`) },
      ],
      purpose: bad(`${status}.purpose`),
      habilitationPurpose: bad(`${status}.habilitationPurpose`),
      legalBasis: bad(`${status}.legalBasis`),
      fetchMode: 'periodic',
      fetchCount: 2,
      servedDatasets: [],
      createdAt: new Date('2026-01-02T03:04:05Z'),
      expiresAt: new Date('2027-01-02T03:04:05Z'),
      status,
      revokedAt: status === 'revoked' ? new Date('2026-05-02T03:04:05Z') : null,
    });
    const access = (n: number, viaFranceConnect: boolean): AccessEntry => ({
      id: bad(`access${n}.id`),
      occurredAt: new Date('2026-03-02T03:04:05Z'),
      kind: 'fetch',
      clientId: null,
      serviceName: bad(`access${n}.serviceName`),
      datasetId: null,
      datasetTitle: bad(`access${n}.datasetTitle`),
      purpose: bad(`access${n}.purpose`),
      outcome: bad(`access${n}.outcome`) as AccessEntry['outcome'],
      outcomeText: bad(`access${n}.outcomeText`),
      code: null,
      viaFranceConnect,
      scopes: viaFranceConnect ? [bad(`access${n}.scope1`), bad(`access${n}.scope2`)] : [],
    });
    const page = mePage({
      consents: [consent('active'), consent('revoked'), consent('expired')],
      accesses: [access(1, false), access(2, true)],
      olderCursor: bad('olderCursor'),
      laterPage: true,
      csrf: bad('csrf'),
      revokedService: bad('revokedService'),
      accessColumns: [
        { header: bad('column.header'), cell: (a) => html`<a href="/x">${a.datasetTitle}</a>` },
        accessProofColumn,
      ],
    });
    expectEscaped(page, [
      'olderCursor',
      'csrf',
      'revokedService',
      'column.header',
      ...['active', 'revoked', 'expired'].flatMap((s) =>
        [
          'id',
          'client.name',
          'dataset.title',
          'provider',
          'purpose',
          'habilitationPurpose',
          'legalBasis',
        ].map((f) => `${s}.${f}`),
      ),
      ...[1, 2].flatMap((n) =>
        ['id', 'serviceName', 'datasetTitle', 'purpose', 'outcome', 'outcomeText'].map(
          (f) => `access${n}.${f}`,
        ),
      ),
      'access2.scope1',
      'access2.scope2',
    ]);
  });

  it('preview page: registry texts and every value a provider answers', () => {
    const page = previewPage({
      requestId: bad('requestId'),
      clientName: bad('clientName'),
      datasets: [
        {
          id: bad('ok.id'),
          title: bad('ok.title'),
          providerName: bad('ok.providerName'),
          fields: { a: bad('label.a'), b: bad('label.b'), 'b.c': bad('label.b.c') },
          outcome: {
            kind: 'ok',
            data: {
              a: bad('value.a'),
              b: { c: [bad('value.b.c.0'), bad('value.b.c.1')], [bad('key')]: bad('value.other') },
            },
          },
        },
        {
          id: bad('unknown.id'),
          title: bad('unknown.title'),
          providerName: bad('unknown.providerName'),
          fields: {},
          outcome: { kind: 'citizen_unknown', message: bad('unknown.message') },
        },
      ],
    });
    expectEscaped(page, [
      'requestId',
      'clientName',
      ...['id', 'title', 'providerName'].flatMap((f) => [`ok.${f}`, `unknown.${f}`]),
      'label.a',
      'label.b',
      'label.b.c',
      'value.a',
      'value.b.c.0',
      'value.b.c.1',
      'value.other',
      'unknown.message',
    ]);
  });

  it('welcome page and error page', () => {
    expectEscaped(welcomePage(`/auth/login?returnTo=${bad('loginHref')}`), []);
    expect(welcomePage(`/auth/login?x=${bad('loginHref')}`)).toContain(
      `href="/auth/login?x=${asText('loginHref')}"`,
    );
    const page = errorPage({
      status: 404,
      code: bad('code'),
      requestId: bad('requestId'),
      loggedIn: true,
    });
    expectEscaped(page, ['code', 'requestId']);
  });
});
