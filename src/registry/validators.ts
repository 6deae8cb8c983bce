/**
 * Registration rules that class-validator does not know: URL policies, SIRET, JWKS, identity
 * parameters, field paths. Each rule is a pure function answering why a value is refused (or
 * null), wrapped as a decorator so the refusal names the field in the 400 problem.
 */
import { createPublicKey } from 'node:crypto';
import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';
import { responseSchemaProblem } from './json-schema.js';
import { IDENTITY_PIVOT_CLAIMS } from '../identity/index.js';

type Rule = (value: unknown, property: string) => string | null;

/** Wraps a rule as a property decorator whose message is the rule's own reason. */
function rule(name: string, check: Rule, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value, args) => check(value, args?.property ?? '') === null,
        defaultMessage: (args) => check(args?.value, args?.property ?? '') ?? `${name} failed`,
      },
    },
    options,
  );
}

/**
 * class-validator's `@IsOptional()` skips `null` as well as a missing value: `{"name": null}` in
 * a PATCH then reached the database (500). This one skips only a missing value, so `null` is
 * validated, and refused naming the field, unless the field says it accepts null.
 */
export const IsOptionalNotNull = (): PropertyDecorator =>
  ValidateIf((_object, value) => value !== undefined);

// ---------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

interface UrlPolicy {
  /** `http:` allowed everywhere (providers on an internal network) or only on loopback. */
  http: 'anywhere' | 'loopback' | 'never';
  query: boolean;
}

/**
 * Parses with WHATWG URL and refuses anything that is not plainly an http(s) address:
 * `file:`, `javascript:`, `data:`, relative strings, credentials (`https://user:pw@host`, they
 * would end up in logs and Referer headers), fragments and wildcards.
 */
export function urlProblem(value: unknown, property: string, policy: UrlPolicy): string | null {
  if (typeof value !== 'string' || value.length === 0) return `${property} must be a URL`;
  if (value.length > 2048) return `${property} must be at most 2048 characters`;
  if (value !== value.trim() || /[\s\\]/.test(value))
    return `${property} must not contain spaces or backslashes`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${property} must be an absolute URL`;
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol === 'http:') {
    if (policy.http === 'never') return `${property} must use https`;
    if (policy.http === 'loopback' && !loopback) {
      return `${property} must use https (http only on localhost or 127.0.0.1)`;
    }
  } else if (url.protocol !== 'https:') {
    return `${property} must use ${policy.http === 'anywhere' ? 'http or https' : 'https'}`;
  }
  if (!url.hostname || !/^https?:\/\/[^/]/i.test(value)) return `${property} must name a host`;
  const authority = value.slice(value.indexOf('//') + 2).split(/[/?#]/)[0];
  if (url.username || url.password || authority.includes('@')) {
    return `${property} must not carry credentials`;
  }
  // `new URL('https://a/#')` reports an empty hash: look at the raw string.
  if (value.includes('#')) return `${property} must not have a fragment`;
  if (value.includes('*')) return `${property} must not contain a wildcard`;
  if (!policy.query && (url.search || value.includes('?'))) {
    return `${property} must not have a query string`;
  }
  return null;
}

/** A provider's base URL (or token URL): http or https, no query, no credentials. */
export const IsProviderUrl = (options?: ValidationOptions) =>
  rule('isProviderUrl', (v, p) => urlProblem(v, p, { http: 'anywhere', query: false }), options);

/** Where the gateway fetches a client's keys: https, or http on loopback only. */
export const IsJwksUri = (options?: ValidationOptions) =>
  rule('isJwksUri', (v, p) => urlProblem(v, p, { http: 'loopback', query: true }), options);

/** A legal text's reference (Légifrance, a decree…): https only. */
export const IsHttpsReference = (options?: ValidationOptions) =>
  rule('isHttpsReference', (v, p) => urlProblem(v, p, { http: 'never', query: true }), options);

// ---------------------------------------------------------------------------------------------
// SIRET
// ---------------------------------------------------------------------------------------------

/**
 * La Poste's establishments share one SIREN and so cannot all carry a Luhn key: INSEE's rule
 * for them is a digit sum divisible by 5 (the head office, 35600000000048, passes Luhn).
 */
const LA_POSTE_SIREN = '356000000';

export function isValidSiret(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{14}$/.test(value)) return false;
  const digits = [...value].map(Number);
  // Luhn: double every second digit from the right, i.e. the digits at even indexes here.
  let sum = 0;
  digits.forEach((d, i) => {
    const v = i % 2 === 0 ? d * 2 : d;
    sum += v > 9 ? v - 9 : v;
  });
  if (sum % 10 === 0) return true;
  return value.startsWith(LA_POSTE_SIREN) && digits.reduce((a, b) => a + b, 0) % 5 === 0;
}

export const IsSiret = (options?: ValidationOptions) =>
  rule(
    'isSiret',
    (v, p) => (isValidSiret(v) ? null : `${p} must be 14 digits passing the SIRET check (Luhn)`),
    options,
  );

// ---------------------------------------------------------------------------------------------
// JWKS (private_key_jwt clients)
// ---------------------------------------------------------------------------------------------

/** Members that exist only in private or symmetric JWKs (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const ASYMMETRIC_ALGS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);
const MAX_KEYS = 20;

/**
 * A client's JWKS must hold public signing keys only. A private member means the client
 * leaked its own private key to us; a symmetric key would let anyone who reads it forge
 * assertions. Each key must import as a public key.
 */
export function jwksProblem(value: unknown, property = 'jwks'): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${property} must be a JWK Set object ({"keys": [...]})`;
  }
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0)
    return `${property}.keys must be a non-empty array`;
  if (keys.length > MAX_KEYS) return `${property}.keys must hold at most ${MAX_KEYS} keys`;
  if (JSON.stringify(value).length > 64 * 1024) return `${property} must be at most 64 KB`;
  const kids = new Set<string>();
  for (const [i, key] of keys.entries()) {
    const at = `${property}.keys[${i}]`;
    if (typeof key !== 'object' || key === null || Array.isArray(key))
      return `${at} must be a JWK object`;
    const jwk = key as Record<string, unknown>;
    const secret = PRIVATE_MEMBERS.find((m) => m in jwk);
    if (secret) return `${at} must be a public key (member "${secret}" is private or symmetric)`;
    if (!['EC', 'RSA', 'OKP'].includes(jwk.kty as string))
      return `${at}.kty must be EC, RSA or OKP`;
    if (jwk.use !== undefined && jwk.use !== 'sig') return `${at}.use must be "sig"`;
    if (jwk.alg !== undefined && !ASYMMETRIC_ALGS.has(jwk.alg as string)) {
      return `${at}.alg must be an asymmetric signature algorithm`;
    }
    if (jwk.kid !== undefined) {
      if (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > 200) {
        return `${at}.kid must be a non-empty string`;
      }
      if (kids.has(jwk.kid)) return `${at}.kid must be unique in the set`;
      kids.add(jwk.kid);
    }
    try {
      const imported = createPublicKey({ key: jwk as never, format: 'jwk' });
      if (imported.type !== 'public') return `${at} must be a public key`;
    } catch {
      return `${at} is not a valid public JWK`;
    }
  }
  return null;
}

export const IsPublicJwks = (options?: ValidationOptions) =>
  rule('isPublicJwks', (v, p) => jwksProblem(v, p), options);

// ---------------------------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------------------------

/** The FranceConnect identity-pivot claims a provider may receive (one list, in identity). */
export const IDENTITY_CLAIMS = IDENTITY_PIVOT_CLAIMS;
export type IdentityClaim = (typeof IDENTITY_PIVOT_CLAIMS)[number];

/** Query parameter names sent as-is: letters, digits, `_`, `-`, `.`, nothing to escape. */
const QUERY_PARAM_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function identityParamsProblem(value: unknown, property = 'identityParams'): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${property} must be an object mapping identity claims to query parameter names`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return `${property} must name at least one identity claim`;
  const names = new Set<string>();
  for (const [claim, param] of entries) {
    if (!(IDENTITY_CLAIMS as readonly string[]).includes(claim)) {
      return `${property} keys must be among ${IDENTITY_CLAIMS.join(', ')} (got "${claim.slice(0, 40)}")`;
    }
    if (typeof param !== 'string' || !QUERY_PARAM_NAME.test(param)) {
      return `${property}.${claim} must be a query parameter name (letters, digits, _ . -)`;
    }
    if (names.has(param))
      return `${property} must not send two claims in one parameter ("${param}")`;
    names.add(param);
  }
  return null;
}

export const IsIdentityParams = (options?: ValidationOptions) =>
  rule('isIdentityParams', (v, p) => identityParamsProblem(v, p), options);

export const IsResponseSchema = (options?: ValidationOptions) =>
  rule('isResponseSchema', (v) => responseSchemaProblem(v), options);

/** `quotient_familial.valeur`: dot-separated names (letters, digits, `_`, `-`). */
const FIELD_PATH = /^[\p{L}\p{N}_-]+(\.[\p{L}\p{N}_-]+)*$/u;
const MAX_FIELDS = 200;

export function fieldsProblem(value: unknown, property = 'fields'): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${property} must be an object mapping field paths to descriptions`;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_FIELDS) return `${property} must describe at most ${MAX_FIELDS} fields`;
  for (const [path, description] of entries) {
    if (path.length > 200 || !FIELD_PATH.test(path)) {
      return `${property} keys must be dotted paths such as "quotient_familial.valeur" (got "${path.slice(0, 40)}")`;
    }
    if (
      typeof description !== 'string' ||
      description.trim().length === 0 ||
      description.length > 1000
    ) {
      return `${property}.${path} must be a non-empty description of at most 1000 characters`;
    }
  }
  return null;
}

export const IsFieldDescriptions = (options?: ValidationOptions) =>
  rule('isFieldDescriptions', (v, p) => fieldsProblem(v, p), options);

/**
 * A described path that the schema says cannot exist (a closed object without that property)
 * would show the citizen a field the provider never sends: refuse it. Paths through `$ref`,
 * combinators or open objects are not provable either way and are accepted.
 */
export function unknownFieldPath(schema: unknown, path: string): boolean {
  let node: unknown = schema;
  for (const segment of path.split('.')) {
    // Arrays: a path names what is inside every item.
    while (isObject(node) && node.type === 'array' && isObject(node.items)) node = node.items;
    if (!isObject(node) || !isObject(node.properties)) return false;
    const properties = node.properties as Record<string, unknown>;
    const next = Object.hasOwn(properties, segment) ? properties[segment] : undefined;
    if (next === undefined) return node.additionalProperties === false && !node.patternProperties;
    node = next;
  }
  return false;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
