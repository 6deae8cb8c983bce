import { allowFormAction, redirectOrigin } from './csp.js';

describe('consent page CSP', () => {
  const helmet =
    "default-src 'self';base-uri 'self';form-action 'self';img-src 'self' data:;object-src 'none'";

  it('adds the redirect URI origin to form-action only', () => {
    const policy = allowFormAction(helmet, 'https://service.example.fr');
    expect(policy).toContain("form-action 'self' https://service.example.fr");
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("img-src 'self' data:");
    expect(policy.match(/https:\/\/service\.example\.fr/g)).toHaveLength(1);
  });

  it('creates form-action when absent and does not repeat a source', () => {
    expect(allowFormAction("default-src 'self'", 'http://localhost:4000')).toBe(
      "default-src 'self';form-action 'self' http://localhost:4000",
    );
    const once = allowFormAction(helmet, 'https://a.fr');
    expect(allowFormAction(once, 'https://a.fr')).toBe(once);
  });

  it('takes only the origin of an http(s) redirect URI', () => {
    expect(redirectOrigin('https://service.example.fr:8443/cb?x=1;script-src *')).toBe(
      'https://service.example.fr:8443',
    );
    expect(redirectOrigin('javascript:alert(1)')).toBeNull();
    expect(redirectOrigin('not a url')).toBeNull();
  });
});
