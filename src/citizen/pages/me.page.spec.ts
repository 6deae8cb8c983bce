import type { CitizenConsentView } from '../../consent/consent.contract.js';
import type { AccessEntry } from '../access-log.types.js';
import { mePage } from './me.page.js';

function consent(overrides: Partial<CitizenConsentView> = {}): CitizenConsentView {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    client: { name: 'Ville de Démo', siret: '21690123100011' },
    datasets: [{ id: 'cnaf.quotient_familial', title: 'Quotient familial', providerName: 'CNAF' }],
    purpose: 'Tarif de la cantine',
    legalBasis: 'CRPA L. 114-8',
    fetchMode: 'once',
    fetchCount: 1,
    createdAt: new Date('2026-11-28T09:05:00Z'),
    expiresAt: new Date('2026-12-28T09:05:00Z'),
    status: 'active',
    revokedAt: null,
    ...overrides,
  };
}

function access(overrides: Partial<AccessEntry> = {}): AccessEntry {
  return {
    id: '22222222-2222-4222-8222-222222222222',
    occurredAt: new Date('2026-11-28T09:06:00Z'),
    kind: 'fetch',
    clientId: 'ville-demo',
    serviceName: 'Ville de Démo',
    datasetId: 'cnaf.quotient_familial',
    datasetTitle: 'Quotient familial',
    purpose: 'Tarif de la cantine',
    outcome: 'transmitted',
    outcomeText: 'transmis',
    code: null,
    viaFranceConnect: false,
    scopes: [],
    ...overrides,
  };
}

describe('/me page', () => {
  it('lists consents with a status in words and a revoke form for active ones only', () => {
    const html = mePage({
      consents: [
        consent(),
        consent({
          id: '33333333-3333-4333-8333-333333333333',
          status: 'revoked',
          revokedAt: new Date('2026-11-28T10:00:00Z'),
        }),
        consent({ id: '44444444-4444-4444-8444-444444444444', status: 'expired' }),
      ],
      accesses: [],
      olderCursor: null,
      laterPage: false,
      csrf: 'tok',
    });
    expect((html.match(/<h1\b/g) ?? []).length).toBe(1);
    expect((html.match(/data-revoke-form/g) ?? []).length).toBe(1);
    expect(html).toContain('action="/me/consents/11111111-1111-4111-8111-111111111111/revoke"');
    expect(html).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(html).toContain('>Actif</p>');
    expect(html).toContain('>Retiré</p>');
    expect(html).toContain('>Expiré</p>');
    // The button says which consent it withdraws, for screen readers too.
    expect(html).toMatch(
      /Retirer mon accord<span class="fr-sr-only"> donné à Ville de Démo le 28 novembre 2026<\/span>/,
    );
    expect(html).toContain('Aucune consultation de vos données pour le moment.');
  });

  it('shows the access log in Paris time with outcomes in words, and the older page link', () => {
    const html = mePage({
      consents: [],
      accesses: [
        access(),
        access({ id: 'x', outcome: 'refused', outcomeText: 'refusé : consentement révoqué' }),
      ],
      olderCursor: '41',
      laterPage: true,
      csrf: 'tok',
      revokedService: 'Ville <de> Démo',
    });
    expect(html).toContain('Qui a consulté mes données');
    expect(html).toContain('28 novembre 2026 à 10:06');
    expect(html).toContain('transmis');
    expect(html).toContain('refusé : consentement révoqué');
    expect(html).toContain('href="/me?avant=41#consultations"');
    expect(html).toContain('href="/me#consultations"');
    expect(html).toContain('Votre accord donné à Ville &lt;de&gt; Démo est retiré');
    expect(html).toContain('<th scope="col">Date et heure</th>');
  });

  it('marks accesses made via FranceConnect, with the scopes agreed there (escaped)', () => {
    const html = mePage({
      consents: [],
      accesses: [
        access(),
        access({
          id: 'fc',
          viaFranceConnect: true,
          scopes: ['openid', 'cnaf_quotient_familial', '<b>x</b>'],
        }),
      ],
      olderCursor: null,
      laterPage: false,
      csrf: 'tok',
    });
    const rows = html.match(/<tr data-access=[\s\S]*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(2);
    expect(rows[0]).not.toContain('via FranceConnect');
    expect(rows[1]).toContain('data-via="franceconnect"');
    expect(rows[1]).toContain('via FranceConnect');
    expect(rows[1]).toContain('<code>cnaf_quotient_familial</code>');
    expect(rows[1]).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(rows[1]).not.toContain('<b>x</b>');
  });
});
