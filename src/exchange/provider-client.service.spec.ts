import { datasetUrl, notFoundMessage, sanitizeMessage } from './provider-answers.js';
import type { DatasetTarget, ProviderTarget } from './exchange.types.js';

const provider = { baseUrl: 'https://api.example.fr/base/' } as ProviderTarget;
const dataset = {
  path: '/v3/qf',
  identityParams: { family_name: 'nom', given_name: 'prenoms', birthplace: 'lieu' },
} as unknown as DatasetTarget;

describe('datasetUrl', () => {
  it('joins base URL and path and sends only the claims the dataset needs, encoded', () => {
    const url = datasetUrl(provider, dataset, {
      family_name: 'LEFÈVRE-DURAND',
      given_name: 'Hélène & co',
      birthplace: '',
      birthdate: '1988-02-29',
    });
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname).toBe('https://api.example.fr/base/v3/qf');
    // Parameters follow the identity pivot's order (given_name, family_name, …).
    expect([...parsed.searchParams]).toEqual([
      ['prenoms', 'Hélène & co'],
      ['nom', 'LEFÈVRE-DURAND'],
      ['lieu', ''],
    ]);
  });

  it('cannot be steered elsewhere by identity values', () => {
    const url = datasetUrl(provider, dataset, {
      family_name: '../../admin?x=1#',
      given_name: '@evil.com/',
    });
    expect(new URL(url).host).toBe('api.example.fr');
    expect(new URL(url).pathname).toBe('/base/v3/qf');
  });
});

describe('provider messages', () => {
  it('keeps errors[0].detail (or title) as one short plain-text line', () => {
    expect(
      notFoundMessage(
        JSON.stringify({ errors: [{ title: 'T', detail: 'Personne <i>inconnue</i>.' }] }),
      ),
    ).toBe('Personne inconnue .');
    expect(notFoundMessage({ errors: [{ title: 'Non trouvé' }] })).toBe('Non trouvé');
    expect(notFoundMessage('not json')).toMatch(/ne connaît pas/);
    expect(notFoundMessage({ message: 'stack at x.y.Z' })).toMatch(/ne connaît pas/);
  });

  it('removes markup, control and bidirectional characters, and cuts long texts', () => {
    expect(sanitizeMessage('a\u0000b\u202Ec\r\nd <img src=x onerror=alert(1)> e')).toBe(
      'a b c d e',
    );
    expect(sanitizeMessage('x'.repeat(500))).toHaveLength(200);
    expect(sanitizeMessage('   ')).toBeNull();
    expect(sanitizeMessage(42)).toBeNull();
  });
});
