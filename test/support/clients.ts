/**
 * Registers requesting services (OAuth clients) straight in the database, for tests that need
 * a client without going through the operator API, and gets them access tokens over HTTP.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, JWK, SignJWT } from 'jose';
import { hashSecret } from '../../src/common/crypto.js';
import type { TestGateway } from './gateway.js';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface ClientOptions {
  clientId?: string;
  name?: string;
  /** A valid SIRET (Luhn) by default. */
  siret?: string;
  status?: 'active' | 'suspended';
  redirectUris?: string[];
}

export interface SecretClient {
  /** Internal uuid. */
  id: string;
  clientId: string;
  clientSecret: string;
  authMethod: 'client_secret_basic' | 'client_secret_post';
}

export interface KeyClient {
  id: string;
  clientId: string;
  authMethod: 'private_key_jwt';
  kid: string;
  alg: string;
  privateKey: PrivateKey;
  publicJwk: JWK;
}

export type TestClient = SecretClient | KeyClient;

function base(gw: TestGateway, options: ClientOptions) {
  return {
    clientId: options.clientId ?? `test-${randomBytes(6).toString('hex')}`,
    name: options.name ?? 'Service de test',
    siret: options.siret ?? '13002526500013',
    contactEmail: 'integration@example.gouv.fr',
    redirectUris: options.redirectUris ?? [`${gw.url}/test-callback`],
    status: options.status ?? 'active',
  };
}

export async function registerSecretClient(
  gw: TestGateway,
  authMethod: SecretClient['authMethod'] = 'client_secret_basic',
  options: ClientOptions & { secret?: string } = {},
): Promise<SecretClient> {
  const clientSecret = options.secret ?? randomBytes(32).toString('base64url');
  const row = await gw.prisma.client.create({
    data: { ...base(gw, options), authMethod, secretHash: await hashSecret(clientSecret) },
  });
  return { id: row.id, clientId: row.clientId, clientSecret, authMethod };
}

/**
 * A private_key_jwt client. Its public key is registered as an inline JWKS, or, with `jwksUri`,
 * the caller serves `client.publicJwk` there itself.
 */
export async function registerKeyClient(
  gw: TestGateway,
  options: ClientOptions & { alg?: 'ES256' | 'RS256' | 'PS256'; jwksUri?: string } = {},
): Promise<KeyClient> {
  const alg = options.alg ?? 'ES256';
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const row = await gw.prisma.client.create({
    data: {
      ...base(gw, options),
      authMethod: 'private_key_jwt',
      jwks: options.jwksUri ? undefined : { keys: [publicJwk] },
      jwksUri: options.jwksUri ?? null,
    },
  });
  return {
    id: row.id,
    clientId: row.clientId,
    authMethod: 'private_key_jwt',
    kid,
    alg,
    privateKey,
    publicJwk,
  };
}

/** An RFC 7523 client assertion; `claims` and `header` override the defaults. */
export async function clientAssertion(
  gw: TestGateway,
  client: KeyClient,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: client.clientId,
    sub: client.clientId,
    aud: `${gw.config.publicUrl}/oauth/token`,
    iat: now,
    exp: now + 60,
    jti: randomUUID(),
    ...claims,
  })
    .setProtectedHeader({ alg: client.alg, kid: client.kid, ...header })
    .sign(client.privateKey);
}

export interface TokenAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** Raw `POST /oauth/token` with a form body and optional headers. */
export async function postToken(
  gw: TestGateway,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenAnswer> {
  const res = await fetch(`${gw.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined and base64-encoded. */
export function basicAuthorization(clientId: string, secret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

/** Gets an access token with the client's registered method; throws on any refusal. */
export async function clientToken(
  gw: TestGateway,
  client: TestClient,
  scope?: string,
): Promise<string> {
  const form: Record<string, string> = { grant_type: 'client_credentials' };
  if (scope !== undefined) form.scope = scope;
  let headers: Record<string, string> = {};
  if (client.authMethod === 'private_key_jwt') {
    form.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    form.client_assertion = await clientAssertion(gw, client);
  } else if (client.authMethod === 'client_secret_basic') {
    headers = { authorization: basicAuthorization(client.clientId, client.clientSecret) };
  } else {
    form.client_id = client.clientId;
    form.client_secret = client.clientSecret;
  }
  const answer = await postToken(gw, form, headers);
  if (answer.status !== 200) {
    throw new Error(`token refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body.access_token as string;
}
