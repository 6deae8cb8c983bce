import type { CitizenConsentView } from '../../consent/index.js';
import type { AccessEntry } from '../access-log.types.js';
import { mePage } from './me.page.js';
import { html as markup } from '../../common/index.js';

function consent(overrides: Partial<CitizenConsentView> = {}): CitizenConsentView {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    client: { name: 'Ville de Démo', siret: '21690123100011' },
    datasets: [{ id: 'cnaf.quotient_familial', title: 'Quotient familial', providerName: 'CNAF' }],
    purpose: 'Tarif de la cantine',
    habilitationPurpose: 'Tarification sociale des services municipaux',
    legalBasis: 'CRPA L. 114-8',
    fetchMode: 'once',
    fetchCount: 0,
    servedDatasets: [],
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
    expect(html).toContain('28 novembre 2026 à 10 h 06');
    expect(html).toContain('transmis');
    expect(html).toContain('refusé : consentement révoqué');
    expect(html).toContain('href="/me?avant=41#consultations"');
    expect(html).toContain('href="/me#consultations"');
    expect(html).toContain('Votre accord donné à Ville &lt;de&gt; Démo est retiré');
    expect(html).toContain('<th scope="col">Date et heure</th>');
    // On a phone each cell names its column (the row becomes a card).
    expect(html).toContain('data-label="Résultat">refusé : consentement révoqué</td>');
    expect(html).toContain('class="fr-table fr-table--no-caption pa-access-log"');
  });

  it('says plainly what a consent allows and what was done with it', () => {
    const two = [
      { id: 'a', title: 'A', providerName: 'P' },
      { id: 'b', title: 'B', providerName: 'P' },
    ];
    const html = (c: Partial<CitizenConsentView>) =>
      mePage({
        consents: [consent(c)],
        accesses: [],
        olderCursor: null,
        laterPage: false,
        csrf: 't',
      });
    const none = html({ datasets: two });
    expect(none).toContain('Accès unique : aucun des 2 justificatifs n’a encore été transmis.');
    expect(none).toContain('data-display-status="active"');
    const half = html({ datasets: two, servedDatasets: ['a'], fetchCount: 1 });
    expect(half).toContain('Accès unique : 1 justificatif sur 2 transmis.');
    expect(half).toContain('>Actif</p>');
    const used = html({ datasets: two, servedDatasets: ['b', 'a'], fetchCount: 2 });
    expect(used).toContain('les 2 justificatifs ont été transmis ; l’accord est utilisé.');
    expect(used).toContain('>Utilisé</p>');
    expect(used).toContain('data-status="active" data-display-status="used"');
    // A used consent can still be withdrawn (it stops nothing more, but closes it).
    expect(used).toContain('data-revoke-form');
    const periodic = html({ fetchMode: 'periodic', fetchCount: 4, servedDatasets: ['a'] });
    expect(periodic).toContain('Accès répété : transmis 4 fois jusqu’ici.');
    // The legal purpose and the specific case, both.
    expect(none).toContain('Votre démarche :</strong> Tarif de la cantine');
    expect(none).toContain(
      'Cadre autorisé :</strong> Tarification sociale des services municipaux',
    );
  });

  it('adds extra access-log columns where a caller gives them', () => {
    const html = mePage({
      consents: [],
      accesses: [access()],
      olderCursor: null,
      laterPage: false,
      csrf: 't',
      accessColumns: [
        { header: 'Preuve', cell: (a) => markup`<a href="/x/${a.id}">télécharger</a>` },
      ],
    });
    expect(html).toContain('<th scope="col">Preuve</th>');
    expect(html).toContain(
      'data-label="Preuve"><a href="/x/22222222-2222-4222-8222-222222222222">télécharger</a></td>',
    );
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
