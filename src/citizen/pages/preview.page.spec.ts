import {
  humanizeKey,
  previewPage,
  renderValue,
  valueAt,
  type PreviewDataset,
} from './preview.page.js';

const base = {
  id: 'cnaf.quotient_familial',
  title: 'Quotient familial CAF & MSA',
  providerName: 'CNAF',
  fields: {
    'quotient_familial.valeur': 'Montant du quotient familial (en euros)',
    enfants: 'Enfants à charge',
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
            quotient_familial: { valeur: 2550 },
            enfants: [{ prenoms: 'Lou', date_naissance: '2015-05-01' }],
            adresse: null,
          },
        },
      },
    ];
    const html = previewPage({ requestId: 'r1', clientName: 'Ville', datasets });
    expect((html.match(/<h1\b/g) ?? []).length).toBe(1);
    expect(html).toMatch(
      /<dt[^>]*data-field="quotient_familial.valeur">Montant du quotient familial \(en euros\)<\/dt>\s*<dd[^>]*>2550<\/dd>/,
    );
    expect(html).toContain('Enfants à charge');
    expect(html).toContain('Prenoms');
    expect(html).toContain('Lou');
    expect(html).toContain('<time datetime="2015-05-01">1 mai 2015</time>');
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
    const html = renderValue({ '<k>': ['<script>x</script>'] });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('&lt;k&gt;');
  });

  it('reads dotted paths and formats scalars in French', () => {
    expect(valueAt({ a: { b: 3 } }, 'a.b')).toBe(3);
    expect(valueAt({ a: [1] }, 'a.0')).toBeUndefined();
    expect(valueAt({}, '__proto__')).toBeUndefined();
    expect(renderValue(true)).toBe('Oui');
    expect(renderValue(2.5)).toBe('2,5');
    expect(renderValue([])).toBe('Aucun');
    expect(humanizeKey('nom_naissance')).toBe('Nom naissance');
  });
});
