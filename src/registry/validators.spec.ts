import { generateKeyPairSync } from 'node:crypto';
import { compileResponseSchema, responseSchemaProblem } from './json-schema.js';
import {
  fieldsProblem,
  identityParamsProblem,
  isValidSiret,
  jwksProblem,
  unknownFieldPath,
  urlProblem,
} from './validators.js';

describe('registry validators', () => {
  describe('SIRET', () => {
    it('accepts Luhn-valid SIRETs and La Poste establishments (digit sum % 5)', () => {
      expect(isValidSiret('21690123100011')).toBe(true);
      expect(isValidSiret('13002526500013')).toBe(true);
      expect(isValidSiret('35600000000048')).toBe(true); // La Poste head office, Luhn-valid
      expect(isValidSiret('35600000000001')).toBe(true); // La Poste, not Luhn, sum 15
    });

    it('refuses a wrong key, a wrong length, letters and La Poste numbers breaking their rule', () => {
      expect(isValidSiret('21690123100012')).toBe(false);
      expect(isValidSiret('2169012310001')).toBe(false);
      expect(isValidSiret('216901231000111')).toBe(false);
      expect(isValidSiret('2169012310001A')).toBe(false);
      expect(isValidSiret('35600000000002')).toBe(false);
      expect(isValidSiret(21690123100011)).toBe(false);
    });
  });

  describe('URLs', () => {
    const provider = (v: unknown) => urlProblem(v, 'baseUrl', { http: 'anywhere', query: false });
    const redirect = (v: unknown) =>
      urlProblem(v, 'redirectUri', { http: 'loopback', query: true });

    it('takes plain http(s) base URLs', () => {
      expect(provider('https://api.cnaf.example.gouv.fr')).toBeNull();
      expect(provider('http://10.0.0.12:8080/api')).toBeNull();
    });

    it.each([
      ['file:///etc/passwd', /http or https/],
      ['javascript:alert(1)', /http or https/],
      ['data:text/html,hi', /http or https/],
      ['not a url', /spaces|absolute URL/],
      ['/relative/path', /absolute URL/],
      ['https://user:pw@api.example.fr', /credentials/],
      ['https://api.example.fr/#x', /fragment/],
      ['https://api.example.fr/?a=1', /query/],
      ['https:api.example.fr', /host/],
      ['https://*.example.fr', /wildcard|absolute URL/],
      [42, /must be a URL/],
    ])('refuses %p as a base URL', (value, reason) => {
      expect(provider(value)).toMatch(reason);
    });

    it('takes https redirect URIs and http only on loopback', () => {
      expect(redirect('https://demarches.example.fr/retour?x=1')).toBeNull();
      expect(redirect('http://localhost:8080/cb')).toBeNull();
      expect(redirect('http://127.0.0.1/cb')).toBeNull();
      expect(redirect('http://[::1]:3000/cb')).toBeNull();
      expect(redirect('http://demarches.example.fr/cb')).toMatch(/https/);
      expect(redirect('http://localhost.evil.fr/cb')).toMatch(/https/);
      expect(redirect('https://demarches.example.fr/cb#')).toMatch(/fragment/);
      expect(redirect('https://demarches.example.fr/*')).toMatch(/wildcard/);
      expect(redirect('https://a@demarches.example.fr/cb')).toMatch(/credentials/);
    });
  });

  describe('JWKS', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicJwk = ec.publicKey.export({ format: 'jwk' });
    const privateJwk = ec.privateKey.export({ format: 'jwk' });

    it('takes a set of public keys', () => {
      expect(
        jwksProblem({ keys: [{ ...publicJwk, kid: 'k1', alg: 'ES256', use: 'sig' }] }),
      ).toBeNull();
    });

    it('refuses private, symmetric, malformed and duplicate keys', () => {
      expect(jwksProblem({ keys: [privateJwk] })).toMatch(/"d" is private/);
      expect(jwksProblem({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })).toMatch(
        /"k" is private or symmetric/,
      );
      expect(jwksProblem({ keys: [{ ...publicJwk, x: 'AAAA' }] })).toMatch(
        /not a valid public JWK/,
      );
      expect(jwksProblem({ keys: [{ ...publicJwk, alg: 'HS256' }] })).toMatch(/asymmetric/);
      expect(
        jwksProblem({
          keys: [
            { ...publicJwk, kid: 'a' },
            { ...publicJwk, kid: 'a' },
          ],
        }),
      ).toMatch(/unique/);
      expect(jwksProblem({ keys: [] })).toMatch(/non-empty/);
      expect(jwksProblem([publicJwk])).toMatch(/JWK Set/);
    });
  });

  describe('datasets', () => {
    it('limits identity parameters to pivot claims and safe names', () => {
      expect(
        identityParamsProblem({
          family_name: 'nomNaissance',
          birthplace: 'codeCogInseeCommuneNaissance',
        }),
      ).toBeNull();
      expect(identityParamsProblem({ email: 'mail' })).toMatch(/keys must be among/);
      expect(identityParamsProblem({ family_name: 'nom&admin=1' })).toMatch(/query parameter name/);
      expect(identityParamsProblem({ family_name: 'nom', given_name: 'nom' })).toMatch(
        /two claims/,
      );
      expect(identityParamsProblem({})).toMatch(/at least one/);
    });

    it('takes dotted field paths with descriptions', () => {
      expect(
        fieldsProblem({ 'quotient_familial.valeur': 'Montant', allocataires: 'Allocataires' }),
      ).toBeNull();
      expect(fieldsProblem({ 'a..b': 'x' })).toMatch(/dotted paths/);
      expect(fieldsProblem({ 'a b': 'x' })).toMatch(/dotted paths/);
      expect(fieldsProblem({ a: '' })).toMatch(/non-empty/);
    });

    it('finds described paths a closed schema cannot hold, and trusts what it cannot prove', () => {
      const schema = {
        type: 'object',
        additionalProperties: false,
        properties: {
          qf: {
            type: 'object',
            additionalProperties: false,
            properties: { valeur: { type: 'integer' } },
          },
          enfants: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: { nom: { type: 'string' } },
            },
          },
          libre: { type: 'object' },
        },
      };
      expect(unknownFieldPath(schema, 'qf.valeur')).toBe(false);
      expect(unknownFieldPath(schema, 'enfants.nom')).toBe(false);
      expect(unknownFieldPath(schema, 'libre.quoi')).toBe(false);
      expect(unknownFieldPath(schema, 'qf.valuer')).toBe(true);
      expect(unknownFieldPath(schema, 'enfants.prenom')).toBe(true);
      expect(unknownFieldPath(schema, 'constructor')).toBe(true);
    });

    it('compiles response schemas strictly, in draft 2020-12 or draft-07', () => {
      expect(
        responseSchemaProblem({
          type: 'object',
          properties: { d: { type: 'string', format: 'date' } },
        }),
      ).toBeNull();
      expect(
        responseSchemaProblem({
          $schema: 'http://json-schema.org/draft-07/schema#',
          type: 'string',
        }),
      ).toBeNull();
      expect(responseSchemaProblem({ type: 'strnig' })).toMatch(/not a valid JSON Schema/);
      expect(responseSchemaProblem({ tpye: 'string' })).toMatch(/unknown keyword/);
      expect(responseSchemaProblem({ type: 'string', format: 'nope' })).toMatch(/unknown format/);
      expect(responseSchemaProblem({ $ref: 'https://evil.example/schema.json' })).toMatch(
        /resolve reference/,
      );
      expect(responseSchemaProblem({ $schema: 'http://json-schema.org/draft-04/schema#' })).toMatch(
        /draft/,
      );
      expect(responseSchemaProblem([])).toMatch(/object/);
      const validate = compileResponseSchema({
        type: 'object',
        required: ['a'],
        properties: { a: { type: 'integer' } },
      });
      expect(validate({ a: 1 })).toBe(true);
      expect(validate({ a: 'x' })).toBe(false);
    });
  });
});
