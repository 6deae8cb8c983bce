import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportSPKI,
  generateKeyPair,
  importJWK,
  JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { jest } from '@jest/globals';
import * as oidc from 'openid-client';
import { AccessTokenService } from '../src/oauth/access-token.service.js';
import { hashSecret } from '../src/common/index.js';
import { InvalidationBus } from '../src/events/index.js';
import { SigningKeyService } from '../src/signing/signing-key.service.js';
import {
  basicAuthorization,
  clientAssertion,
  clientToken,
  KeyClient,
  postToken,
  registerKeyClient,
  registerSecretClient,
  SecretClient,
} from './support/clients.js';
import { startGateway, TestGateway } from './support/gateway.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('OAuth 2.0: metadata, token endpoint, access tokens, bearer guard, keys', () => {
  let gw: TestGateway;
  let keys: SigningKeyService;
  let basicClient: SecretClient;
  let postClient: SecretClient;
  let jwtClient: KeyClient;

  beforeAll(async () => {
    gw = await startGateway();
    keys = gw.app.get(SigningKeyService);
    basicClient = await registerSecretClient(gw, 'client_secret_basic');
    postClient = await registerSecretClient(gw, 'client_secret_post');
    jwtClient = await registerKeyClient(gw);

    // One provider, two datasets, and a habilitation of the basic client for one of them.
    await gw.prisma.provider.create({
      data: { id: 'cnaf', name: 'CNAF', baseUrl: 'http://localhost:9/cnaf' },
    });
    for (const id of ['cnaf.quotient_familial', 'cnaf.allocataires']) {
      await gw.prisma.dataset.create({
        data: {
          id,
          providerId: 'cnaf',
          path: '/v1/x',
          identityParams: {},
          responseSchema: { type: 'object' },
          title: id,
        },
      });
    }
    await gw.prisma.habilitation.create({
      data: {
        clientId: basicClient.id,
        datasets: ['cnaf.quotient_familial'],
        purpose: 'Tarification sociale de la cantine',
        legalBasis: 'Délibération du conseil municipal',
        maxDurationDays: 30,
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  async function me(token: string) {
    const res = await fetch(`${gw.url}/api/v1/clients/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as Record<string, unknown>,
    };
  }

  function discover(clientId: string, auth: oidc.ClientAuth) {
    return oidc.discovery(new URL(gw.url), clientId, undefined, auth, {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    });
  }

  describe('metadata and keys', () => {
    it('publishes RFC 8414 metadata', async () => {
      const res = await fetch(`${gw.url}/.well-known/oauth-authorization-server`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(await res.json()).toEqual({
        issuer: gw.config.publicUrl,
        token_endpoint: `${gw.config.publicUrl}/oauth/token`,
        jwks_uri: `${gw.config.publicUrl}/.well-known/jwks.json`,
        grant_types_supported: ['client_credentials'],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
        ],
        token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256', 'PS256'],
        scopes_supported: ['cnaf.allocataires', 'cnaf.quotient_familial'],
        service_documentation: `${gw.config.publicUrl}/docs`,
      });
    });

    it('publishes the public signing key, never its private part, cacheable for 5 minutes', async () => {
      const res = await fetch(`${gw.url}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      const { keys: published } = (await res.json()) as { keys: JWK[] };
      expect(published).toHaveLength(1);
      expect(published[0]).toEqual({
        kty: 'EC',
        crv: 'P-256',
        x: expect.any(String),
        y: expect.any(String),
        kid: await keys.activeKid(),
        alg: 'ES256',
        use: 'sig',
      });
    });

    it('stores the private key encrypted, bound to its kid', async () => {
      const row = await gw.prisma.signingKey.findFirstOrThrow({ where: { status: 'active' } });
      expect(row.privateJwkCiphertext).toMatch(/^v1\./);
      expect(row.privateJwkCiphertext).not.toContain('"d"');
      expect(row.publicJwk).not.toHaveProperty('d');
    });

    it('creates exactly one active key however many instances start together', async () => {
      const before = await gw.prisma.signingKey.count();
      await Promise.all(Array.from({ length: 5 }, () => keys.ensureActiveKey()));
      expect(await gw.prisma.signingKey.count({ where: { status: 'active' } })).toBe(1);
      expect(await gw.prisma.signingKey.count()).toBe(before);
    });

    it('signs detached JWS (RFC 7515 Appendix F) that verify only over the same bytes', async () => {
      const body = JSON.stringify({ event: 'consent.revoked', id: randomUUID() });
      const jws = await keys.signDetached(body);
      expect(jws).toMatch(/^[\w-]+\.\.[\w-]+$/);
      expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', kid: await keys.activeKid() });
      await expect(keys.verifyDetached(jws, body)).resolves.toMatchObject({ alg: 'ES256' });
      await expect(keys.verifyDetached(jws, body + ' ')).rejects.toThrow();
      // Any JOSE library verifies it with the published key, once the payload is put back.
      const [header, , signature] = jws.split('.');
      const compact = `${header}.${Buffer.from(body).toString('base64url')}.${signature}`;
      const set = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
      const { compactVerify } = await import('jose');
      await expect(compactVerify(compact, set)).resolves.toBeDefined();
    });
  });

  describe('token endpoint with a standard client (openid-client)', () => {
    it('discovers the metadata and gets a token with client_secret_basic', async () => {
      const config = await discover(
        basicClient.clientId,
        oidc.ClientSecretBasic(basicClient.clientSecret),
      );
      expect(config.serverMetadata().token_endpoint).toBe(`${gw.config.publicUrl}/oauth/token`);
      const tokens = await oidc.clientCredentialsGrant(config);
      expect(tokens.token_type).toBe('bearer'); // openid-client lower-cases it
      expect(tokens.expires_in).toBe(300);
      expect(tokens.scope).toBe('cnaf.quotient_familial');

      // The token verifies against the published JWKS, as RFC 9068 describes it.
      const set = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, set, {
        algorithms: ['ES256'],
        issuer: gw.config.publicUrl,
        audience: gw.config.publicUrl,
        typ: 'at+jwt',
      });
      expect(protectedHeader).toEqual({ alg: 'ES256', kid: await keys.activeKid(), typ: 'at+jwt' });
      expect(payload).toEqual({
        iss: gw.config.publicUrl,
        aud: gw.config.publicUrl,
        sub: basicClient.clientId,
        client_id: basicClient.clientId,
        scope: 'cnaf.quotient_familial',
        iat: expect.any(Number),
        nbf: payload.iat,
        exp: (payload.iat as number) + 300,
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });

      const who = await me(tokens.access_token);
      expect(who.status).toBe(200);
      expect(who.body).toEqual({
        client_id: basicClient.clientId,
        name: 'Service de test',
        siret: '13002526500013',
        status: 'active',
        scopes: ['cnaf.quotient_familial'],
      });
    });

    it('gets a token with client_secret_post', async () => {
      const config = await discover(
        postClient.clientId,
        oidc.ClientSecretPost(postClient.clientSecret),
      );
      const tokens = await oidc.clientCredentialsGrant(config);
      expect((await me(tokens.access_token)).body.client_id).toBe(postClient.clientId);
      // No habilitation: a token all the same, with no scope.
      expect(tokens.scope).toBeUndefined();
    });

    it('gets a token with private_key_jwt (assertion aud = issuer)', async () => {
      const config = await discover(
        jwtClient.clientId,
        oidc.PrivateKeyJwt({ key: jwtClient.privateKey, kid: jwtClient.kid }),
      );
      const tokens = await oidc.clientCredentialsGrant(config);
      expect((await me(tokens.access_token)).body.client_id).toBe(jwtClient.clientId);
    });

    it('reads our RFC 6749 errors: invalid_client with a wrong secret', async () => {
      const config = await discover(basicClient.clientId, oidc.ClientSecretBasic('not-the-secret'));
      const err = await oidc.clientCredentialsGrant(config).catch((e: unknown) => e);
      // A 401 carrying WWW-Authenticate (RFC 6749 §5.2) surfaces as a challenge error, the
      // RFC 6749 body still attached.
      expect(err).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
      const challenge = err as oidc.WWWAuthenticateChallengeError;
      expect(challenge.status).toBe(401);
      expect(challenge.cause[0]).toMatchObject({
        scheme: 'basic',
        parameters: { realm: 'passerelle' },
      });
      expect(await challenge.response.json()).toEqual({
        error: 'invalid_client',
        error_description: 'Client authentication failed.',
      });

      const config2 = await discover(
        basicClient.clientId,
        oidc.ClientSecretBasic(basicClient.clientSecret),
      );
      const scopeErr = await oidc
        .clientCredentialsGrant(config2, { scope: 'cnaf.allocataires' })
        .catch((e: unknown) => e);
      expect(scopeErr).toBeInstanceOf(oidc.ResponseBodyError);
      expect((scopeErr as oidc.ResponseBodyError).error).toBe('invalid_scope');
    });
  });

  describe('token endpoint answers (RFC 6749 §5)', () => {
    it('answers §5.1 with no-store and no-cache', async () => {
      const res = await postToken(
        gw,
        { grant_type: 'client_credentials' },
        { authorization: basicAuthorization(basicClient.clientId, basicClient.clientSecret) },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      expect(Object.keys(res.body).sort()).toEqual([
        'access_token',
        'expires_in',
        'scope',
        'token_type',
      ]);
      expect(res.body.token_type).toBe('Bearer');
    });

    it('decodes form-urlencoded Basic credentials (RFC 6749 §2.3.1)', async () => {
      const client = await registerSecretClient(gw, 'client_secret_basic', {
        clientId: 'svc:with spaces+plus',
        secret: 'sécret:with%special+chars and spaces',
      });
      await clientToken(gw, client);
    });

    it('grants a requested subset of scopes and refuses others with invalid_scope', async () => {
      const auth = {
        authorization: basicAuthorization(basicClient.clientId, basicClient.clientSecret),
      };
      const ok = await postToken(
        gw,
        { grant_type: 'client_credentials', scope: 'cnaf.quotient_familial' },
        auth,
      );
      expect(ok.body.scope).toBe('cnaf.quotient_familial');
      const bad = await postToken(
        gw,
        { grant_type: 'client_credentials', scope: 'cnaf.allocataires' },
        auth,
      );
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({
        error: 'invalid_scope',
        error_description: expect.stringContaining('cnaf.allocataires'),
      });
      expect(bad.headers.get('cache-control')).toBe('no-store');
    });

    it('accepts private_key_jwt with aud = token endpoint and keys served at a jwks_uri (RS256)', async () => {
      let published: JWK[] = [];
      const server: Server = createServer((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: published }));
      });
      await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
      try {
        const uri = `http://localhost:${(server.address() as AddressInfo).port}/jwks`;
        const client = await registerKeyClient(gw, { alg: 'RS256', jwksUri: uri });
        published = [client.publicJwk];
        await clientToken(gw, client);
      } finally {
        server.close();
      }
    });

    const unsupported: [string, Record<string, string>, number, string][] = [
      [
        'an unsupported grant_type',
        { grant_type: 'authorization_code', code: 'x' },
        400,
        'unsupported_grant_type',
      ],
      [
        'the password grant',
        { grant_type: 'password', username: 'a', password: 'b' },
        400,
        'unsupported_grant_type',
      ],
      ['a missing grant_type', {}, 400, 'invalid_request'],
      ['an empty grant_type (same as missing)', { grant_type: '' }, 400, 'invalid_request'],
    ];
    it.each(unsupported)('refuses %s', async (_name, form, status, error) => {
      const res = await postToken(gw, form, {
        authorization: basicAuthorization(basicClient.clientId, basicClient.clientSecret),
      });
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error, error_description: expect.any(String) });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('refuses a repeated parameter and a JSON body with invalid_request', async () => {
      const auth = basicAuthorization(basicClient.clientId, basicClient.clientSecret);
      const repeated = await fetch(`${gw.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
        body: 'grant_type=client_credentials&grant_type=client_credentials',
      });
      expect(repeated.status).toBe(400);
      expect(((await repeated.json()) as { error: string }).error).toBe('invalid_request');
      const json = await fetch(`${gw.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      expect(json.status).toBe(400);
      expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
    });

    it('ignores unknown parameters (RFC 6749 §3.2)', async () => {
      const res = await postToken(
        gw,
        { grant_type: 'client_credentials', resource_hint: 'whatever' },
        { authorization: basicAuthorization(basicClient.clientId, basicClient.clientSecret) },
      );
      expect(res.status).toBe(200);
    });

    it('refuses two authentication methods in one request', async () => {
      const res = await postToken(
        gw,
        {
          grant_type: 'client_credentials',
          client_id: postClient.clientId,
          client_secret: postClient.clientSecret,
        },
        { authorization: basicAuthorization(basicClient.clientId, basicClient.clientSecret) },
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });

  describe('client authentication failures', () => {
    function expectInvalidClient(res: Awaited<ReturnType<typeof postToken>>) {
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="passerelle"');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
    }

    it('answers a wrong secret and an unknown client identically (no enumeration)', async () => {
      const wrong = await postToken(
        gw,
        { grant_type: 'client_credentials' },
        { authorization: basicAuthorization(basicClient.clientId, 'wrong-secret') },
      );
      const unknown = await postToken(
        gw,
        { grant_type: 'client_credentials' },
        { authorization: basicAuthorization('no-such-client', 'wrong-secret') },
      );
      expectInvalidClient(wrong);
      expectInvalidClient(unknown);
      expect(unknown.body).toEqual(wrong.body);
      const wrongPost = await postToken(gw, {
        grant_type: 'client_credentials',
        client_id: postClient.clientId,
        client_secret: 'wrong-secret',
      });
      expectInvalidClient(wrongPost);
      expect(wrongPost.body).toEqual(wrong.body);
    });

    it('refuses a request without client authentication', async () => {
      expectInvalidClient(
        await postToken(gw, { grant_type: 'client_credentials', client_id: basicClient.clientId }),
      );
    });

    it('refuses a method the client did not register', async () => {
      // Right secret, wrong method: the client is told which one to use.
      const res = await postToken(gw, {
        grant_type: 'client_credentials',
        client_id: basicClient.clientId,
        client_secret: basicClient.clientSecret,
      });
      expectInvalidClient(res);
      expect(res.body.error_description).toContain('client_secret_basic');
      // A secret for a private_key_jwt client, an assertion for a secret client.
      expectInvalidClient(
        await postToken(
          gw,
          { grant_type: 'client_credentials' },
          { authorization: basicAuthorization(jwtClient.clientId, 'x') },
        ),
      );
      const impostor: KeyClient = { ...jwtClient, clientId: basicClient.clientId };
      expectInvalidClient(
        await postToken(gw, {
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER,
          client_assertion: await clientAssertion(gw, impostor),
        }),
      );
    });

    it('refuses a suspended client at the token endpoint, as if it were unknown, and its live token at once', async () => {
      const client = await registerSecretClient(gw, 'client_secret_basic');
      const token = await clientToken(gw, client);
      expect((await me(token)).status).toBe(200);

      await gw.prisma.client.update({ where: { id: client.id }, data: { status: 'suspended' } });
      // What the registry's suspension publishes: the bearer guard's status cache and the token
      // endpoint's verified secrets forget the client, and both re-read the table.
      await gw.app.get(InvalidationBus).publish({ kind: 'client', clientId: client.clientId });

      const refused = await me(token);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('invalid_token');
      const res = await postToken(
        gw,
        { grant_type: 'client_credentials' },
        { authorization: basicAuthorization(client.clientId, client.clientSecret) },
      );
      expectInvalidClient(res);
      expect(res.body.error_description).toBe('Client authentication failed.');

      await gw.prisma.client.update({ where: { id: client.id }, data: { status: 'active' } });
      await gw.app.get(InvalidationBus).publish({ kind: 'client', clientId: client.clientId });
      expect((await me(token)).status).toBe(200);
    });

    it('refuses a rotated secret at once, though it was just verified and remembered', async () => {
      const client = await registerSecretClient(gw, 'client_secret_basic');
      await clientToken(gw, client);
      const newSecret = 'rotated-' + randomUUID();
      await gw.prisma.client.update({
        where: { id: client.id },
        data: { secretHash: await hashSecret(newSecret) },
      });
      // What the registry's rotation publishes.
      await gw.app.get(InvalidationBus).publish({ kind: 'client', clientId: client.clientId });

      const old = await postToken(
        gw,
        { grant_type: 'client_credentials' },
        { authorization: basicAuthorization(client.clientId, client.clientSecret) },
      );
      expectInvalidClient(old);
      const renewed = await postToken(
        gw,
        { grant_type: 'client_credentials' },
        { authorization: basicAuthorization(client.clientId, newSecret) },
      );
      expect(renewed.status).toBe(200);
    });

    describe('private_key_jwt assertions (RFC 7523)', () => {
      async function withAssertion(assertion: string, extra: Record<string, string> = {}) {
        return postToken(gw, {
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER,
          client_assertion: assertion,
          ...extra,
        });
      }
      const now = () => Math.floor(Date.now() / 1000);

      it('refuses a replayed assertion', async () => {
        const assertion = await clientAssertion(gw, jwtClient);
        expect((await withAssertion(assertion)).status).toBe(200);
        const replay = await withAssertion(assertion);
        expectInvalidClient(replay);
        expect(replay.body.error_description).toMatch(/already been used/);
      });

      it('keeps jti per client: the same jti from two clients is no replay', async () => {
        const other = await registerKeyClient(gw);
        const jti = randomUUID();
        expect((await withAssertion(await clientAssertion(gw, jwtClient, { jti }))).status).toBe(
          200,
        );
        expect((await withAssertion(await clientAssertion(gw, other, { jti }))).status).toBe(200);
      });

      it('refuses an expired assertion', async () => {
        const res = await withAssertion(
          await clientAssertion(gw, jwtClient, { iat: now() - 600, exp: now() - 60 }),
        );
        expectInvalidClient(res);
        expect(res.body.error_description).toMatch(/expired/);
      });

      it('refuses an assertion expiring more than 5 minutes ahead', async () => {
        const res = await withAssertion(await clientAssertion(gw, jwtClient, { exp: now() + 600 }));
        expectInvalidClient(res);
        expect(res.body.error_description).toMatch(/300 seconds/);
      });

      it('refuses an assertion issued in the future or not valid yet', async () => {
        expectInvalidClient(
          await withAssertion(await clientAssertion(gw, jwtClient, { iat: now() + 120 })),
        );
        expectInvalidClient(
          await withAssertion(await clientAssertion(gw, jwtClient, { nbf: now() + 120 })),
        );
      });

      it('refuses a wrong audience, a wrong subject, and a missing jti or exp', async () => {
        const wrongAud = await withAssertion(
          await clientAssertion(gw, jwtClient, { aud: 'https://other.example/token' }),
        );
        expectInvalidClient(wrongAud);
        expect(wrongAud.body.error_description).toMatch(/"aud"/);
        expectInvalidClient(
          await withAssertion(await clientAssertion(gw, jwtClient, { sub: 'someone-else' })),
        );
        expectInvalidClient(
          await withAssertion(await clientAssertion(gw, jwtClient, { jti: undefined })),
        );
        expectInvalidClient(
          await withAssertion(await clientAssertion(gw, jwtClient, { exp: undefined })),
        );
      });

      it('refuses an assertion signed by another key, unsigned, or with HMAC', async () => {
        const { privateKey } = await generateKeyPair('ES256');
        expectInvalidClient(
          await withAssertion(await clientAssertion(gw, { ...jwtClient, privateKey })),
        );
        const claims = {
          iss: jwtClient.clientId,
          sub: jwtClient.clientId,
          aud: gw.config.publicUrl,
          exp: now() + 60,
          jti: randomUUID(),
        };
        expectInvalidClient(await withAssertion(`${b64url({ alg: 'none' })}.${b64url(claims)}.`));
        const hs = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: jwtClient.kid })
          .sign(new TextEncoder().encode(JSON.stringify(jwtClient.publicJwk)));
        const res = await withAssertion(hs);
        expectInvalidClient(res);
        // Before the signature holds, nothing more than for an unknown client is said.
        expect(res.body.error_description).toBe('Client authentication failed.');
      });

      it('refuses an unknown issuer like an unknown client, and a client_id that differs from iss', async () => {
        const ghost: KeyClient = { ...jwtClient, clientId: 'no-such-client' };
        const res = await withAssertion(await clientAssertion(gw, ghost));
        expectInvalidClient(res);
        expect(res.body.error_description).toBe('Client authentication failed.');
        const mismatch = await withAssertion(await clientAssertion(gw, jwtClient), {
          client_id: basicClient.clientId,
        });
        expect(mismatch.status).toBe(400);
        expect(mismatch.body.error).toBe('invalid_request');
      });

      it('refuses a wrong client_assertion_type', async () => {
        const res = await withAssertion(await clientAssertion(gw, jwtClient), {
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
        });
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('invalid_request');
      });
    });
  });

  describe('bearer guard (RFC 6750)', () => {
    let token: string;
    let ourKid: string;
    let ourPublicJwk: JWK;
    const now = () => Math.floor(Date.now() / 1000);
    const claims = () => ({
      iss: gw.config.publicUrl,
      aud: gw.config.publicUrl,
      sub: basicClient.clientId,
      client_id: basicClient.clientId,
      scope: 'cnaf.quotient_familial',
      iat: now(),
      nbf: now(),
      exp: now() + 300,
      jti: randomUUID(),
    });

    beforeAll(async () => {
      token = await clientToken(gw, basicClient);
      ourKid = await keys.activeKid();
      ourPublicJwk = (await keys.jwks()).keys[0];
    });

    async function expectInvalidToken(authorization: string | undefined, challenge?: string) {
      const res = await fetch(`${gw.url}/api/v1/clients/me`, {
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 401, code: 'invalid_token' });
      expect(res.headers.get('www-authenticate')).toBe(
        challenge ??
          'Bearer realm="passerelle", error="invalid_token", error_description="The access token is not valid (signature, issuer, audience or client)."',
      );
    }

    it('accepts a valid token', async () => {
      expect((await me(token)).status).toBe(200);
    });

    it('authenticates a request once, though both the rate-limit and the bearer guard need it', async () => {
      // A spy that calls through: the real verification runs, only the calls are counted.
      const spy = jest.spyOn(gw.app.get(AccessTokenService), 'authenticate');
      try {
        expect((await me(token)).status).toBe(200);
        expect(spy).toHaveBeenCalledTimes(1);
        spy.mockClear();
        // A refused token is refused once too, and by both guards (401, not a pass).
        const [h, p] = token.split('.');
        const forged = `${h}.${p}.${Buffer.alloc(64).toString('base64url')}`;
        expect((await me(forged)).status).toBe(401);
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
    });

    it('refuses a call without a token (challenge without error, RFC 6750 §3.1)', async () => {
      await expectInvalidToken(undefined, 'Bearer realm="passerelle"');
      await expectInvalidToken(
        'Basic ' + Buffer.from('a:b').toString('base64'),
        'Bearer realm="passerelle"',
      );
      await expectInvalidToken('Bearer', 'Bearer realm="passerelle"');
    });

    it('refuses the operator token (not a JWT)', async () => {
      await expectInvalidToken(`Bearer ${gw.config.operatorToken}`);
    });

    it('refuses a tampered token', async () => {
      const [h, p, s] = token.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
      await expectInvalidToken(
        `Bearer ${h}.${b64url({ ...payload, client_id: postClient.clientId, sub: postClient.clientId })}.${s}`,
      );
    });

    it('refuses a token signed by another key, with our kid or an unknown one', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      for (const kid of [ourKid, 'unknown-kid']) {
        const forged = await new SignJWT(claims())
          .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
          .sign(privateKey);
        await expectInvalidToken(`Bearer ${forged}`);
      }
    });

    it('refuses alg:none', async () => {
      await expectInvalidToken(
        `Bearer ${b64url({ alg: 'none', typ: 'at+jwt', kid: ourKid })}.${b64url(claims())}.`,
      );
      await expectInvalidToken(
        `Bearer ${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(claims())}.`,
      );
    });

    it('refuses HS256 tokens keyed with our public key (JWK or PEM) as the HMAC secret', async () => {
      const pem = await exportSPKI(
        (await importJWK(ourPublicJwk, 'ES256')) as Parameters<typeof exportSPKI>[0],
      );
      for (const secret of [JSON.stringify(ourPublicJwk), pem, ourPublicJwk.x as string]) {
        const signingInput = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: ourKid })}.${b64url(claims())}`;
        const mac = createHmac('sha256', secret).update(signingInput).digest('base64url');
        await expectInvalidToken(`Bearer ${signingInput}.${mac}`);
      }
    });

    it('refuses RS256 even with a well-formed signature', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'RS256', kid: ourKid, typ: 'at+jwt' })
        .sign(privateKey);
      await expectInvalidToken(`Bearer ${forged}`);
    });

    it('refuses an expired token, one not valid yet, and a wrong audience (our key, our issuer)', async () => {
      const t = now();
      const expired = await keys.sign(
        { ...claims(), iat: t - 900, nbf: t - 900, exp: t - 60 },
        { typ: 'at+jwt' },
      );
      // Ours and past its lifetime: the client is told it expired (so it gets a new one).
      await expectInvalidToken(
        `Bearer ${expired}`,
        'Bearer realm="passerelle", error="invalid_token", error_description="The access token has expired: request a new one at /oauth/token."',
      );
      // Expired AND signed by another key: "not valid", never "expired" (a forger learns nothing).
      const { privateKey: otherKey } = await generateKeyPair('ES256');
      const forgedExpired = await new SignJWT({
        ...claims(),
        iat: t - 900,
        nbf: t - 900,
        exp: t - 60,
      })
        .setProtectedHeader({ alg: 'ES256', kid: ourKid, typ: 'at+jwt' })
        .sign(otherKey);
      await expectInvalidToken(`Bearer ${forgedExpired}`);
      const early = await keys.sign({ ...claims(), nbf: t + 120 }, { typ: 'at+jwt' });
      await expectInvalidToken(`Bearer ${early}`);
      const elsewhere = await keys.sign(
        { ...claims(), aud: 'https://other-gateway.example' },
        { typ: 'at+jwt' },
      );
      await expectInvalidToken(`Bearer ${elsewhere}`);
      // Control: the same construction with the right claims passes.
      expect((await me(await keys.sign(claims(), { typ: 'at+jwt' }))).status).toBe(200);
    });

    it('accepts a token within the 5 s clock-skew allowance', async () => {
      const t = now();
      const justExpired = await keys.sign(
        { ...claims(), iat: t - 300, exp: t - 2 },
        { typ: 'at+jwt' },
      );
      expect((await me(justExpired)).status).toBe(200);
    });

    it('refuses another kind of JWT we signed (not typed at+jwt), e.g. a consent receipt', async () => {
      await expectInvalidToken(
        `Bearer ${await keys.sign(claims(), { typ: 'consent-receipt+jwt' })}`,
      );
      await expectInvalidToken(`Bearer ${await keys.sign(claims())}`);
    });

    it('refuses a token for an unknown client, or whose sub is not its client_id', async () => {
      await expectInvalidToken(
        `Bearer ${await keys.sign({ ...claims(), client_id: 'ghost', sub: 'ghost' }, { typ: 'at+jwt' })}`,
      );
      await expectInvalidToken(
        `Bearer ${await keys.sign({ ...claims(), sub: postClient.clientId }, { typ: 'at+jwt' })}`,
      );
    });
  });

  describe('key rotation', () => {
    it('keeps earlier tokens valid, publishes both keys, and signs new tokens with the new key', async () => {
      const before = await clientToken(gw, basicClient);
      const oldKid = decodeProtectedHeader(before).kid;

      const { kid, previousKid } = await keys.rotate();
      expect(previousKid).toBe(oldKid);
      expect(kid).not.toBe(oldKid);

      expect((await me(before)).status).toBe(200);
      const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as {
        keys: JWK[];
      };
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual([kid, oldKid].sort());
      const statuses = await gw.prisma.signingKey.findMany({ select: { kid: true, status: true } });
      expect(statuses).toEqual(
        expect.arrayContaining([
          { kid, status: 'active' },
          { kid: oldKid, status: 'retiring' },
        ]),
      );

      const after = await clientToken(gw, basicClient);
      expect(decodeProtectedHeader(after).kid).toBe(kid);
      expect((await me(after)).status).toBe(200);
      // Both verify against the published set, as any resource server would check them.
      const set = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
      for (const t of [before, after]) {
        await expect(
          jwtVerify(t, set, { issuer: gw.config.publicUrl, audience: gw.config.publicUrl }),
        ).resolves.toBeDefined();
      }

      // Retiring the old key withdraws it: its tokens stop working.
      expect(await keys.retire(oldKid as string)).toBe(true);
      expect((await me(before)).status).toBe(401);
      expect((await me(after)).status).toBe(200);
    });
  });

  describe('documentation', () => {
    it('documents the token endpoint with RFC 6749 errors and the guarded route with problems', async () => {
      const doc = (await (await fetch(`${gw.url}/docs-json`)).json()) as {
        paths: Record<
          string,
          Record<string, { responses: Record<string, { content: Record<string, unknown> }> }>
        >;
      };
      const token = doc.paths['/oauth/token'].post;
      expect(Object.keys(token.responses['401'].content)).toEqual(['application/json']);
      expect(doc.paths['/.well-known/oauth-authorization-server'].get).toBeDefined();
      expect(Object.keys(doc.paths['/api/v1/clients/me'].get.responses['401'].content)).toEqual([
        'application/problem+json',
      ]);
    });
  });
});
