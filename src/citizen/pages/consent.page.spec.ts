import type { ConsentRequestView } from '../../consent/index.js';
import { consentPage } from './consent.page.js';

function requestView(overrides: Partial<ConsentRequestView> = {}): ConsentRequestView {
  return {
    id: '0b6f0a8e-5b8b-4a53-8a3e-0e4f8e2f1f7a',
    status: 'pending',
    client: {
      clientId: 'ville-demo',
      name: 'Ville de Démo — restauration scolaire',
      siret: '21690123100011',
    },
    purpose: 'Calcul du tarif de la restauration scolaire',
    habilitationPurpose: 'Tarification sociale des services périscolaires',
    legalBasis: 'Article L. 114-8 du CRPA',
    legalBasisUrl: 'https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367412',
    datasets: [
      {
        id: 'cnaf.quotient_familial',
        title: 'Quotient familial CAF & MSA',
        description: 'Le quotient familial calculé par votre caisse.',
        provider: { id: 'cnaf', name: 'Caisse nationale des allocations familiales (CNAF)' },
        fields: {
          'quotient_familial.valeur': 'Montant du quotient familial (en euros)',
          enfants: 'Enfants à charge',
        },
      },
    ],
    durationDays: 30,
    validUntil: new Date('2027-03-14T10:00:00Z'),
    fetchMode: 'once',
    expiresAt: new Date('2026-11-28T10:15:00Z'),
    citizenId: 'c0b6f0a8-5b8b-4a53-8a3e-0e4f8e2f1f7a',
    ...overrides,
  };
}

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

describe('consent page', () => {
  it('shows who asks, why, on which legal basis, which data, until when', () => {
    const html = consentPage({ request: requestView(), csrf: 'tok' });
    expect(html).toContain('<html lang="fr">');
    expect(count(html, /<h1\b/g)).toBe(1);
    expect(html).toContain('Ville de Démo — restauration scolaire');
    expect(html).toContain('<span data-siret>21690123100011</span>');
    expect(html).toContain('Calcul du tarif de la restauration scolaire');
    expect(html).toContain('Article L. 114-8 du CRPA');
    expect(html).toContain(
      'href="https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367412"',
    );
    expect(html).toContain('Quotient familial CAF &amp; MSA');
    expect(html).toContain('Caisse nationale des allocations familiales (CNAF)');
    expect(html).toContain('Montant du quotient familial');
    expect(html).toContain('Enfants à charge');
    // The legal purpose (habilitation) and the specific case (request), both.
    expect(html).toContain(
      '<span data-habilitation-purpose>Tarification sociale des services périscolaires</span>',
    );
    expect(html).toContain(
      'Jusqu’au <time datetime="2027-03-14T10:00:00.000Z">14 mars 2027</time>',
    );
    expect(html).toContain('Accès unique');
    expect(html).toContain('href="/consent/0b6f0a8e-5b8b-4a53-8a3e-0e4f8e2f1f7a/preview"');
    expect(html).toContain('Voir les données qui seront transmises');
  });

  it('has one form posting the decision with the CSRF token and two labelled buttons', () => {
    const html = consentPage({ request: requestView(), csrf: 'a"b<c' });
    // The decision form, and the header's logout forms (POST with the same CSRF token): one in
    // the desktop tools, one in the phone's navbar.
    expect(count(html, /<form\b/g)).toBe(3);
    expect(count(html, /<form method="post" action="\/auth\/logout">/g)).toBe(2);
    expect(html).toContain(
      '<form method="post" action="/consent/0b6f0a8e-5b8b-4a53-8a3e-0e4f8e2f1f7a/decision"',
    );
    expect(html).toContain('<input type="hidden" name="csrf" value="a&quot;b&lt;c">');
    expect(html).toMatch(/<button[^>]*name="decision" value="approve">J’accepte[^<]+<\/button>/);
    expect(html).toMatch(/<button[^>]*name="decision" value="deny">Je refuse<\/button>/);
    expect(html).toMatch(/<legend[^>]*>Votre réponse<\/legend>/);
    expect(html).not.toContain('<script');
  });

  it('says when access is repeated', () => {
    const html = consentPage({ request: requestView({ fetchMode: 'periodic' }), csrf: 't' });
    expect(html).toContain('Accès répété');
    expect(html).not.toContain('Accès unique');
  });

  it('escapes every value coming from clients and the registry', () => {
    const html = consentPage({
      request: requestView({
        client: { clientId: 'x', name: '<script>alert(1)</script>', siret: '"><img src=x>' },
        purpose: '<script>alert("purpose")</script>',
        legalBasis: '<b>loi</b>',
        legalBasisUrl: 'javascript:alert(1)',
        datasets: [
          {
            id: 'd"1',
            title: '<i>titre</i>',
            description: '<u>desc</u>',
            provider: { id: 'p', name: '<svg onload=alert(1)>' },
            fields: { a: '<img src=x onerror=alert(1)>' },
          },
        ],
      }),
      csrf: 't',
    });
    expect(html).not.toMatch(/<script>alert/);
    expect(html).not.toMatch(/<img src=x/);
    expect(html).not.toMatch(/<svg/);
    expect(html).not.toContain('javascript:');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;script&gt;alert(&quot;purpose&quot;)&lt;/script&gt;');
    expect(html).toContain('data-dataset="d&quot;1"');
  });

  it('keeps the decision within reach: summary and buttons before the details, long lists collapsed', () => {
    const fields: Record<string, string> = {};
    for (let i = 1; i <= 17; i++) fields[`f${i}`] = `Information ${i}`;
    fields.montant = 'Montant de l’impôt (en euros)';
    fields.mention = 'Mention de situation partielle, le cas échéant';
    const html = consentPage({
      request: requestView({
        datasets: [{ ...requestView().datasets[0], fields }],
      }),
      csrf: 't',
    });
    const form = html.indexOf('data-decision-form');
    expect(html.indexOf('data-summary')).toBeLessThan(form);
    expect(form).toBeLessThan(html.indexOf('id="quelles-donnees"'));
    // 19 fields: the 5 first shown (the amount first, the "le cas échéant" mention last), 14 folded.
    expect(html).toContain('<summary>Voir les 14 autres informations</summary>');
    const shown = html.slice(
      html.indexOf('aria-label="Informations contenues'),
      html.indexOf('data-more-fields'),
    );
    expect(shown).toContain('Montant de l’impôt');
    expect(shown).not.toContain('Mention de situation partielle');
    expect(html.indexOf('Mention de situation partielle')).toBeGreaterThan(
      html.indexOf('Information 17'),
    );
  });

  it('leaves the legal basis link out when there is none', () => {
    const html = consentPage({ request: requestView({ legalBasisUrl: null }), csrf: 't' });
    expect(html).not.toContain('Lire le texte');
  });
});
