import { previewPage, renderValue, valueAt, type PreviewDataset } from './preview.page.js';

/** `renderValue`'s markup as text. */
const rendered = (...args: Parameters<typeof renderValue>): string =>
  renderValue(...args).toString();

const base = {
  id: 'cnaf.quotient_familial',
  title: 'Quotient familial CAF & MSA',
  providerName: 'CNAF',
  fields: {
    'quotient_familial.valeur': 'Montant du quotient familial (en euros)',
    'quotient_familial.annee': 'Année du quotient familial',
    enfants: 'Enfants à charge',
    'enfants.prenoms': 'Prénoms',
    'enfants.date_naissance': 'Date de naissance',
    'enfants.sexe': 'Sexe [F = femme ; M = homme]',
    adresse: 'Adresse postale',
  },
};

describe('preview page', () => {
  it('shows the provider’s values under the registry’s field descriptions', () => {
    const datasets: PreviewDataset[] = [
      {
        ...base,
        outcome: {
          kind: 'ok',
          data: {
            quotient_familial: { valeur: 2550, annee: 2025 },
            enfants: [
              { prenoms: 'Lou', date_naissance: '2015-05-01', sexe: 'F', telephone2: '06' },
              { prenoms: 'Tom', date_naissance: '2017-10-01', sexe: 'M' },
            ],
            adresse: null,
          },
        },
      },
    ];
    const html = previewPage({ requestId: 'r1', clientName: 'Ville', datasets });
    expect((html.match(/<h1\b/g) ?? []).length).toBe(1);
    // Amounts in euros with French separators (narrow no-break space), years as years.
    expect(html).toMatch(
      /<dt[^>]*data-field="quotient_familial.valeur">Montant du quotient familial<\/dt>\s*<dd[^>]*>2\u202f550\u00a0€<\/dd>/,
    );
    expect(html).toMatch(/Année du quotient familial<\/dt>\s*<dd[^>]*>2025<\/dd>/);
    expect(html).toContain('Enfants à charge');
    expect(html).toContain('>Prénoms</dt>');
    expect(html).toContain('Lou');
    expect(html).toContain('<time datetime="2015-05-01">1er mai 2015</time>');
    // Codes explained where the description says how; an undescribed key gets a generic label.
    expect(html).toContain('>femme</dd>');
    expect(html).toContain('>homme</dd>');
    expect(html).toContain('>Autre information</dt>');
    expect(html).not.toContain('telephone2');
    expect(html).not.toMatch(/>(Prenoms|Date naissance|Telephone2)</);
    expect(html).toContain('Non renseigné');
    expect(html).toContain('href="/consent/r1"');
  });

  it('shows each dataset’s failure inline without hiding the others', () => {
    const html = previewPage({
      requestId: 'r1',
      clientName: 'Ville',
      datasets: [
        {
          ...base,
          id: 'a',
          outcome: { kind: 'citizen_unknown', message: 'Dossier <b>absent</b>' },
        },
        { ...base, id: 'b', outcome: { kind: 'unavailable' } },
        { ...base, id: 'c', outcome: { kind: 'error' } },
        { ...base, id: 'd', outcome: { kind: 'ok', data: { quotient_familial: { valeur: 1 } } } },
      ],
    });
    expect(html).toContain('data-preview-error="citizen_unknown"');
    expect(html).toContain('Cette administration ne vous connaît pas');
    expect(html).toContain('Dossier &lt;b&gt;absent&lt;/b&gt;');
    expect(html).toContain('data-preview-error="unavailable"');
    expect(html).toContain('n’a pas pu être interrogée');
    expect(html).toContain('data-preview-error="error"');
    expect(html).toContain('data-preview-data');
  });

  it('escapes the provider’s values', () => {
    const html = rendered({ '<k>': ['<script>x</script>'] });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).not.toContain('<k>');
    expect(html).toContain('Autre information');
  });

  it('reads dotted paths and formats scalars in French', () => {
    expect(valueAt({ a: { b: 3 } }, 'a.b')).toBe(3);
    expect(valueAt({ a: [1] }, 'a.0')).toBeUndefined();
    expect(valueAt({}, '__proto__')).toBeUndefined();
    expect(rendered(true)).toBe('oui');
    expect(rendered(false)).toBe('non');
    expect(rendered(2.5)).toBe('2,5');
    expect(rendered(1234567)).toBe('1\u202f234\u202f567');
    expect(rendered([])).toBe('Aucun');
    expect(rendered(2436, 'm', { m: 'Montant de l’impôt (en euros)' })).toBe('2\u202f436\u00a0€');
    expect(rendered(10.5, 'm', { m: 'Montant (en euros)' })).toBe('10,50\u00a0€');
  });
});
