import { DEFAULT_RETURN_TO, parseReturnTo } from './return-to.js';

describe('parseReturnTo', () => {
  it.each([
    ['/me', '/me'],
    [
      '/consent/0b6f0a8e-5b8b-4a53-8a3e-0e4f8e2f1f7a',
      '/consent/0b6f0a8e-5b8b-4a53-8a3e-0e4f8e2f1f7a',
    ],
    ['/me?tab=acces&page=2', '/me?tab=acces&page=2'],
    ['/a%20b', '/a%20b'],
  ])('accepts the local path %j', (input, expected) => {
    expect(parseReturnTo(input)).toBe(expected);
  });

  it('defaults to /me when absent', () => {
    expect(parseReturnTo(undefined)).toBe(DEFAULT_RETURN_TO);
    expect(parseReturnTo('')).toBe(DEFAULT_RETURN_TO);
  });

  it.each([
    'https://evil.example',
    'http://localhost:3000/me',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/%5cevil.example',
    '/%2f/evil.example',
    '/%2F%2Fevil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    ' /me',
    'me',
    'javascript:alert(1)',
    'data:text/html,x',
    '/me#fragment',
    '/me"><script>',
    '/' + 'a'.repeat(3000),
  ])('refuses %j', (input) => {
    expect(parseReturnTo(input)).toBeNull();
  });

  it('refuses anything that is not one string (repeated parameter, object)', () => {
    expect(parseReturnTo(['/me', '/x'])).toBeNull();
    expect(parseReturnTo({ a: '/me' })).toBeNull();
  });
});
