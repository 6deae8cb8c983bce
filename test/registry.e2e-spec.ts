/**
 * The operator API end to end: a real gateway, a real database, HTTP only (plus raw reads of
 * the database to prove what is stored). Covers CRUD of the four registry resources, their
 * refusals (each a problem+json naming the field), secrets never returned and stored sealed,
 * operator authentication, pagination and the audit of every admin call.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import type { Response } from 'supertest';
import { AuditService } from '../src/audit/audit.service.js';
import { verifySecret } from '../src/common/crypto.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { findCitizen } from '../sandbox/citizens.js';
import { DEMO_CATALOG } from '../sandbox/providers/catalog.js';
import { startDemoProviders } from '../sandbox/providers/server.js';
import { compileResponseSchema } from '../src/registry/json-schema.js';
import { startGateway, TestGateway } from './support/gateway.js';
import {
  ADMIN,
  operatorApi,
  seedClient,
  seedDemoRegistry,
  seedProvider,
  type SeededClient,
  VALID_SIRET,
} from './support/operator.js';

/** Every secret handed to or made by the gateway in this file: none may ever come back. */
const SECRETS = {
  cnafKey: `cnaf-key-${randomBytes(12).toString('hex')}`,
  dgfipToken: `dgfip-token-${randomBytes(12).toString('hex')}`,
  ftSecret: `ft-secret-${randomBytes(12).toString('hex')}`,
  rotatedKey: `rotated-key-${randomBytes(12).toString('hex')}`,
};

describe('registry: operator API', () => {
  let gw: TestGateway;
  let api: ReturnType<typeof operatorApi>;
  let registry: RegistryService;
  /** Every admin response of this file (body and headers), searched for secrets at the end. */
  const seen: { text: string; requestId: string }[] = [];
  const generatedClientSecrets: string[] = [];

  const record = (res: Response) => {
    seen.push({
      text: `${res.text ?? ''}\n${JSON.stringify(res.headers)}`,
      requestId: String(res.headers['x-request-id']),
    });
    return res;
  };
  const post = async (path: string, body?: object) =>
    record(await api.post(`${ADMIN}${path}`, body));
  const get = async (path: string) => record(await api.get(`${ADMIN}${path}`));
  const patch = async (path: string, body: object) =>
    record(await api.patch(`${ADMIN}${path}`, body));
  const del = async (path: string) => record(await api.delete(`${ADMIN}${path}`));

  /** `POST /oauth/token` (client credentials, client_secret_basic) for a client seeded here. */
  const requestToken = (client: SeededClient) =>
    request(gw.url)
      .post('/oauth/token')
      .auth(client.clientId, client.clientSecret!)
      .type('form')
      .send({ grant_type: 'client_credentials' });

  /** A 400 problem+json naming `field` among its errors. */
  const expectFieldError = (res: Response, field: string) => {
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  };

  beforeAll(async () => {
    // The operator's internal provider below (10.1.2.3:8080) is allow-listed, as in production.
    gw = await startGateway({ OUTBOUND_ALLOW_LIST: 'localhost,127.0.0.1,::1,10.1.2.3:8080' });
    api = operatorApi(gw);
    registry = gw.app.get(RegistryService);
  });
  afterAll(async () => {
    await gw?.close();
  });

  describe('operator authentication', () => {
    const expectRefused = (res: Response) => {
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('operator_token_required');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    };

    it('refuses no token, a wrong token, another scheme and a near miss, without auditing them', async () => {
      const before = await gw.prisma.auditEvent.count({
        where: { kind: { startsWith: 'admin.' } },
      });
      const token = gw.config.operatorToken;
      expectRefused(await request(gw.url).get(`${ADMIN}/providers`));
      expectRefused(
        await request(gw.url)
          .get(`${ADMIN}/providers`)
          .set('Authorization', 'Bearer wrong-token-0123456789abcdef'),
      );
      expectRefused(
        await request(gw.url).get(`${ADMIN}/providers`).set('Authorization', `Basic ${token}`),
      );
      expectRefused(
        await request(gw.url).get(`${ADMIN}/providers`).set('Authorization', `Bearer ${token}x`),
      );
      expectRefused(
        await request(gw.url)
          .get(`${ADMIN}/providers`)
          .set('Authorization', `Bearer ${token.slice(0, -1)}`),
      );
      expectRefused(await request(gw.url).post(`${ADMIN}/providers`).send({ id: 'x' }));
      // Unauthenticated noise must not be able to grow the hash-chained log.
      expect(await gw.prisma.auditEvent.count({ where: { kind: { startsWith: 'admin.' } } })).toBe(
        before,
      );
    });

    it('refuses a client-looking JWT, even one signed with a real key', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const jwt = await new SignJWT({ client_id: 'some-client', scope: 'admin' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(gw.config.publicUrl)
        .setAudience(gw.config.publicUrl)
        .setExpirationTime('5m')
        .sign(privateKey);
      expectRefused(
        await request(gw.url).get(`${ADMIN}/clients`).set('Authorization', `Bearer ${jwt}`),
      );
    });

    it('refuses a real client access token from /oauth/token', async () => {
      const client = await seedClient(gw, { clientId: 'auth-probe' });
      const token = await requestToken(client);
      expect(token.status).toBe(200);
      expect(token.body.access_token).toEqual(expect.any(String));
      expectRefused(
        await request(gw.url)
          .get(`${ADMIN}/clients`)
          .set('Authorization', `Bearer ${token.body.access_token}`),
      );
    });
  });

  describe('providers', () => {
    it('registers each kind of authentication and never returns a secret', async () => {
      const cnaf = await post('/providers', {
        id: 'cnaf',
        name: 'CNAF',
        baseUrl: 'https://api.cnaf.example.gouv.fr/',
        auth: { kind: 'api_key', headerName: 'X-Api-Key', secret: SECRETS.cnafKey },
        timeoutMs: 3000,
      });
      expect(cnaf.status).toBe(201);
      expect(cnaf.body).toEqual({
        id: 'cnaf',
        name: 'CNAF',
        baseUrl: 'https://api.cnaf.example.gouv.fr',
        auth: { kind: 'api_key', headerName: 'X-Api-Key', secretSet: true },
        timeoutMs: 3000,
        maxConcurrency: 32,
        status: 'active',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });

      const dgfip = await post('/providers', {
        id: 'dgfip',
        name: 'DGFiP',
        baseUrl: 'http://10.1.2.3:8080/api',
        auth: { kind: 'bearer', token: SECRETS.dgfipToken },
      });
      expect(dgfip.status).toBe(201);
      expect(dgfip.body.auth).toEqual({ kind: 'bearer', secretSet: true });

      const ft = await post('/providers', {
        id: 'france_travail',
        name: 'France Travail',
        baseUrl: 'https://api.francetravail.example.fr',
        auth: {
          kind: 'oauth2_client_credentials',
          tokenUrl: 'https://auth.francetravail.example.fr/oauth/token',
          clientId: 'passerelle',
          clientSecret: SECRETS.ftSecret,
          scope: 'api_statut',
        },
      });
      expect(ft.status).toBe(201);
      expect(ft.body.auth).toEqual({
        kind: 'oauth2_client_credentials',
        tokenUrl: 'https://auth.francetravail.example.fr/oauth/token',
        clientId: 'passerelle',
        scope: 'api_statut',
        secretSet: true,
      });

      const mesr = await post('/providers', {
        id: 'mesr',
        name: 'MESR',
        baseUrl: 'http://localhost:9',
        auth: { kind: 'none' },
      });
      expect(mesr.status).toBe(201);
      expect(mesr.body.auth).toEqual({ kind: 'none', secretSet: false });

      expect((await get('/providers/cnaf')).body.auth).toEqual({
        kind: 'api_key',
        headerName: 'X-Api-Key',
        secretSet: true,
      });
      expect((await get('/providers')).body.items.map((p: { id: string }) => p.id)).toEqual([
        'cnaf',
        'dgfip',
        'france_travail',
        'mesr',
      ]);
    });

    it('stores secrets sealed (AES-256-GCM bound to the provider) and opens them only for the exchange', async () => {
      const rows =
        await gw.prisma.$queryRawUnsafe<Record<string, unknown>[]>('SELECT * FROM provider');
      const raw = JSON.stringify(rows);
      for (const secret of [SECRETS.cnafKey, SECRETS.dgfipToken, SECRETS.ftSecret])
        expect(raw).not.toContain(secret);
      const cnafRow = rows.find((r) => r.id === 'cnaf')!;
      expect(cnafRow.secret_ciphertext).toMatch(/^v1\./);

      const opened = await registry.getProviderWithSecret('cnaf');
      expect(opened?.auth).toEqual({
        kind: 'api_key',
        headerName: 'X-Api-Key',
        secret: SECRETS.cnafKey,
      });
      expect((await registry.getProviderWithSecret('france_travail'))?.auth).toMatchObject({
        clientSecret: SECRETS.ftSecret,
      });
      expect((await registry.getProviderWithSecret('dgfip'))?.auth).toEqual({
        kind: 'bearer',
        token: SECRETS.dgfipToken,
      });

      // A ciphertext moved onto another provider's row does not open there.
      await gw.prisma.provider.update({
        where: { id: 'mesr' },
        data: { authKind: 'bearer', secretCiphertext: cnafRow.secret_ciphertext as string },
      });
      await expect(registry.getProviderWithSecret('mesr')).rejects.toThrow();
      await gw.prisma.provider.update({
        where: { id: 'mesr' },
        data: { authKind: 'none', secretCiphertext: null },
      });
    });

    it('updates a provider, replacing its authentication whole', async () => {
      const res = await patch('/providers/cnaf', {
        name: 'Caisse nationale des allocations familiales',
        auth: { kind: 'api_key', headerName: 'X-Gravitee-Api-Key', secret: SECRETS.rotatedKey },
        maxConcurrency: 8,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: 'Caisse nationale des allocations familiales',
        auth: { kind: 'api_key', headerName: 'X-Gravitee-Api-Key', secretSet: true },
        maxConcurrency: 8,
        timeoutMs: 3000,
      });
      expect((await registry.getProviderWithSecret('cnaf'))?.auth).toMatchObject({
        secret: SECRETS.rotatedKey,
      });
      expect((await patch('/providers/nope', { name: 'x' })).body.code).toBe('provider_not_found');
    });

    it.each([
      ['file:///etc/passwd'],
      ['not a url'],
      ['javascript:alert(1)'],
      ['ftp://files.example.fr'],
      ['https://user:password@api.example.fr'],
      ['//api.example.fr'],
    ])('refuses the base URL %p, naming baseUrl', async (baseUrl) => {
      expectFieldError(
        await post('/providers', { id: 'bad_url', name: 'x', baseUrl, auth: { kind: 'none' } }),
        'baseUrl',
      );
      expectFieldError(await patch('/providers/cnaf', { baseUrl }), 'baseUrl');
    });

    it('refuses malformed authentication, ids, timeouts, unknown fields and duplicates', async () => {
      const ok = {
        id: 'ok_provider',
        name: 'x',
        baseUrl: 'https://x.example.fr',
        auth: { kind: 'none' },
      };
      expectFieldError(await post('/providers', { ...ok, auth: { kind: 'magic' } }), 'auth.kind');
      expectFieldError(
        await post('/providers', { ...ok, auth: { kind: 'api_key', headerName: 'X-Api-Key' } }),
        'auth.secret',
      );
      expectFieldError(
        await post('/providers', {
          ...ok,
          auth: { kind: 'api_key', headerName: 'Bad Header', secret: 's' },
        }),
        'auth.headerName',
      );
      expectFieldError(
        await post('/providers', {
          ...ok,
          auth: { kind: 'api_key', headerName: 'Host', secret: 's' },
        }),
        'auth.headerName',
      );
      expectFieldError(
        await post('/providers', { ...ok, auth: { kind: 'none', secret: 'smuggled' } }),
        'auth.secret',
      );
      expectFieldError(
        await post('/providers', {
          ...ok,
          auth: {
            kind: 'oauth2_client_credentials',
            tokenUrl: 'file:///x',
            clientId: 'a',
            clientSecret: 'b',
          },
        }),
        'auth.tokenUrl',
      );
      expectFieldError(await post('/providers', { ...ok, auth: 'none' }), 'auth');
      expectFieldError(await post('/providers', { ...ok, id: 'CNAF' }), 'id');
      expectFieldError(await post('/providers', { ...ok, id: 'a' }), 'id');
      expectFieldError(await post('/providers', { ...ok, timeoutMs: 50 }), 'timeoutMs');
      expectFieldError(await post('/providers', { ...ok, timeoutMs: 60001 }), 'timeoutMs');
      expectFieldError(await post('/providers', { ...ok, isAdmin: true }), 'isAdmin');
      expectFieldError(await patch('/providers/cnaf', { id: 'renamed' }), 'id');
      const dup = await post('/providers', { ...ok, id: 'cnaf' });
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('provider_exists');
      expect((await get('/providers/ok_provider')).status).toBe(404);
    });
  });

  describe('datasets', () => {
    const catalog = (id: string) =>
      structuredClone(DEMO_CATALOG.datasets.find((d) => d.id === id)!);

    it('registers the demo catalogue and serves it to the exchange', async () => {
      for (const d of DEMO_CATALOG.datasets) {
        const res = await post('/datasets', d);
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({
          id: d.id,
          providerId: d.providerId,
          path: d.path,
          fields: d.fields,
          status: 'active',
        });
      }
      expect(
        (await get('/datasets?providerId=cnaf')).body.items.map((d: { id: string }) => d.id),
      ).toEqual(['cnaf.quotient_familial']);
      const active = await registry.getActiveDataset('cnaf.quotient_familial');
      expect(active).toMatchObject({
        id: 'cnaf.quotient_familial',
        identityParams: catalog('cnaf.quotient_familial').identityParams,
        provider: { id: 'cnaf', baseUrl: 'https://api.cnaf.example.gouv.fr' },
      });
      expect(JSON.stringify(active)).not.toContain(SECRETS.rotatedKey);
      expect(
        (
          await registry.getActiveDatasets([
            'mesr.statut_etudiant',
            'nope.nope',
            'cnaf.quotient_familial',
          ])
        ).map((d) => d.id),
      ).toEqual(['mesr.statut_etudiant', 'cnaf.quotient_familial']);
    });

    it('hides a dataset from the hot path when it or its provider is disabled', async () => {
      expect(
        (await patch('/datasets/mesr.statut_etudiant', { status: 'disabled' })).body.status,
      ).toBe('disabled');
      expect(await registry.getActiveDataset('mesr.statut_etudiant')).toBeNull();
      await patch('/datasets/mesr.statut_etudiant', { status: 'active' });
      await patch('/providers/mesr', { status: 'disabled' });
      expect(await registry.getActiveDataset('mesr.statut_etudiant')).toBeNull();
      expect(await registry.getProviderWithSecret('mesr')).toBeNull();
      await patch('/providers/mesr', { status: 'active' });
      expect(await registry.getActiveDataset('mesr.statut_etudiant')).not.toBeNull();
    });

    it('refuses a response schema that is not valid JSON Schema, naming responseSchema', async () => {
      const base = { ...catalog('cnaf.quotient_familial'), id: 'cnaf.bad_schema' };
      for (const responseSchema of [
        { type: 'strnig' },
        { tpye: 'object' },
        { type: 'string', format: 'not-a-format' },
        { $ref: 'https://evil.example/schema.json' },
        { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
      ]) {
        const res = await post('/datasets', { ...base, responseSchema, fields: {} });
        expectFieldError(res, 'responseSchema');
      }
      expectFieldError(
        await post('/datasets', { ...base, responseSchema: 'string' }),
        'responseSchema',
      );
      expectFieldError(
        await patch('/datasets/cnaf.quotient_familial', { responseSchema: { type: 'strnig' } }),
        'responseSchema',
      );
      // draft-07, declared, is accepted.
      const draft7 = await post('/datasets', {
        ...base,
        id: 'cnaf.draft7',
        responseSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' },
        fields: {},
      });
      expect(draft7.status).toBe(201);
    });

    it('refuses bad ids, paths, identity parameters and field descriptions', async () => {
      const base = { ...catalog('cnaf.quotient_familial'), id: 'cnaf.other' };
      expectFieldError(await post('/datasets', { ...base, id: 'dgfip.other' }), 'id');
      expectFieldError(await post('/datasets', { ...base, id: 'cnaf.Other' }), 'id');
      expectFieldError(
        await post('/datasets', { ...base, id: 'unknown.thing', providerId: 'unknown' }),
        'providerId',
      );
      for (const path of [
        'v3/no-slash',
        '/v3/../admin',
        '/v3//x',
        'https://evil.example/x',
        '//evil.example/x',
        '/v3/x?admin=1',
        '/v3/%2e%2e/x',
      ]) {
        expectFieldError(await post('/datasets', { ...base, path }), 'path');
      }
      expectFieldError(
        await post('/datasets', { ...base, identityParams: { email: 'mail' } }),
        'identityParams',
      );
      expectFieldError(
        await post('/datasets', { ...base, identityParams: { family_name: 'nom&x=1' } }),
        'identityParams',
      );
      expectFieldError(await post('/datasets', { ...base, fields: { 'a..b': 'x' } }), 'fields');
      expectFieldError(
        await post('/datasets', { ...base, fields: { 'quotient_familial.valuer': 'typo' } }),
        'fields',
      );
      expectFieldError(await post('/datasets', { ...base, title: '   ' }), 'title');
      const dup = await post('/datasets', catalog('cnaf.quotient_familial'));
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('dataset_exists');
    });
  });

  describe('clients', () => {
    it('generates a secret, shows it once, stores only its scrypt hash, and rotates it', async () => {
      const res = await post('/clients', {
        clientId: 'ville-de-demo',
        name: 'Ville de Démo',
        siret: VALID_SIRET,
        contactEmail: 'dpo@ville-demo.example.fr',
        redirectUris: [
          'https://demarches.ville-demo.example.fr/retour',
          'http://localhost:8080/cb',
        ],
        authMethod: 'client_secret_basic',
      });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const secret: string = res.body.clientSecret;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      generatedClientSecrets.push(secret);
      expect(res.body).toMatchObject({
        clientId: 'ville-de-demo',
        authMethod: 'client_secret_basic',
        secretSet: true,
        status: 'active',
      });
      expect(res.body).not.toHaveProperty('secretHash');

      const again = await get('/clients/ville-de-demo');
      expect(again.status).toBe(200);
      expect(again.text).not.toContain(secret);
      expect(again.body).not.toHaveProperty('clientSecret');

      const row = await gw.prisma.client.findUniqueOrThrow({
        where: { clientId: 'ville-de-demo' },
      });
      expect(JSON.stringify(row)).not.toContain(secret);
      await expect(verifySecret(secret, row.secretHash!)).resolves.toBe(true);

      const rotated = await post('/clients/ville-de-demo/secret');
      expect(rotated.status).toBe(200);
      expect(rotated.headers['cache-control']).toBe('no-store');
      expect(rotated.body).toEqual({ clientId: 'ville-de-demo', clientSecret: expect.any(String) });
      generatedClientSecrets.push(rotated.body.clientSecret);
      const after = await gw.prisma.client.findUniqueOrThrow({
        where: { clientId: 'ville-de-demo' },
      });
      await expect(verifySecret(secret, after.secretHash!)).resolves.toBe(false);
      await expect(verifySecret(rotated.body.clientSecret, after.secretHash!)).resolves.toBe(true);
    });

    it('generates a client_id when none is given', async () => {
      const res = await post('/clients', {
        name: 'Département de Démo',
        siret: '13002526500013',
        contactEmail: 'rgpd@departement-demo.example.fr',
        redirectUris: ['https://aides.departement-demo.example.fr/cb'],
        authMethod: 'client_secret_post',
      });
      expect(res.status).toBe(201);
      expect(res.body.clientId).toMatch(/^[0-9a-f-]{36}$/);
      generatedClientSecrets.push(res.body.clientSecret);
    });

    it('registers private_key_jwt clients with a public JWKS or a jwks_uri, and no secret', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const publicJwk = {
        ...publicKey.export({ format: 'jwk' }),
        kid: 'k1',
        alg: 'ES256',
        use: 'sig',
      };
      const base = {
        name: 'Université de Démo',
        siret: '35600000000001', // La Poste rule (digit sum % 5), not Luhn
        contactEmail: 'dpo@univ-demo.example.fr',
        redirectUris: ['https://inscriptions.univ-demo.example.fr/cb'],
        authMethod: 'private_key_jwt',
      };
      const inline = await post('/clients', {
        ...base,
        clientId: 'univ-demo',
        jwks: { keys: [publicJwk] },
      });
      expect(inline.status).toBe(201);
      expect(inline.body).toMatchObject({
        jwks: { keys: [publicJwk] },
        jwksUri: null,
        secretSet: false,
      });
      expect(inline.body).not.toHaveProperty('clientSecret');

      const remote = await post('/clients', {
        ...base,
        clientId: 'univ-remote',
        jwksUri: 'https://univ-demo.example.fr/jwks.json',
      });
      expect(remote.status).toBe(201);
      expect(remote.body).toMatchObject({
        jwks: null,
        jwksUri: 'https://univ-demo.example.fr/jwks.json',
      });

      // Switching the source of keys clears the other one.
      const switched = await patch('/clients/univ-remote', { jwks: { keys: [publicJwk] } });
      expect(switched.body).toMatchObject({ jwks: { keys: [publicJwk] }, jwksUri: null });

      expectFieldError(await post('/clients', { ...base, clientId: 'no-keys' }), 'jwks');
      expectFieldError(
        await post('/clients', {
          ...base,
          clientId: 'both',
          jwks: { keys: [publicJwk] },
          jwksUri: 'https://x.example.fr/jwks',
        }),
        'jwks',
      );
      const privateJwk = privateKey.export({ format: 'jwk' });
      expectFieldError(
        await post('/clients', { ...base, clientId: 'leaky', jwks: { keys: [privateJwk] } }),
        'jwks',
      );
      expectFieldError(
        await post('/clients', {
          ...base,
          clientId: 'symmetric',
          jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
        }),
        'jwks',
      );
      expectFieldError(
        await post('/clients', {
          ...base,
          clientId: 'plainuri',
          jwksUri: 'http://keys.example.fr/jwks',
        }),
        'jwksUri',
      );
      expectFieldError(
        await post('/clients', {
          ...base,
          clientId: 'mixed',
          authMethod: 'client_secret_basic',
          jwks: { keys: [publicJwk] },
        }),
        'jwks',
      );
      const noSecret = await post('/clients/univ-demo/secret');
      expect(noSecret.status).toBe(409);
      expect(noSecret.body.code).toBe('client_secret_not_applicable');
      expectFieldError(
        await patch('/clients/ville-de-demo', { jwksUri: 'https://x.example.fr/jwks' }),
        'jwksUri',
      );
    });

    it('refuses a SIRET failing the Luhn check, naming siret', async () => {
      const base = {
        name: 'x',
        contactEmail: 'a@b.fr',
        redirectUris: ['https://x.example.fr/cb'],
        authMethod: 'client_secret_basic',
      };
      for (const siret of [
        '21690123100012',
        '2169012310001',
        'ABCDEFGHIJKLMN',
        '35600000000002',
        21690123100011,
      ]) {
        expectFieldError(await post('/clients', { ...base, siret }), 'siret');
      }
      expectFieldError(await patch('/clients/ville-de-demo', { siret: '21690123100012' }), 'siret');
    });

    it('refuses redirect URIs with a fragment, plain http off loopback, wildcards or relative paths', async () => {
      const base = {
        name: 'x',
        siret: VALID_SIRET,
        contactEmail: 'a@b.fr',
        authMethod: 'client_secret_basic',
      };
      for (const uri of [
        'https://x.example.fr/cb#frag',
        'https://x.example.fr/cb#',
        'http://x.example.fr/cb',
        'http://localhost.evil.example/cb',
        'https://*.example.fr/cb',
        '/cb',
        'javascript:alert(1)',
      ]) {
        const res = await post('/clients', {
          ...base,
          redirectUris: ['https://ok.example.fr/cb', uri],
        });
        expectFieldError(res, 'redirectUris');
      }
      expectFieldError(await post('/clients', { ...base, redirectUris: [] }), 'redirectUris');
      expectFieldError(
        await patch('/clients/ville-de-demo', { redirectUris: ['https://x.example.fr/#'] }),
        'redirectUris',
      );
      expectFieldError(
        await post('/clients', {
          ...base,
          redirectUris: ['https://ok.example.fr/cb'],
          contactEmail: 'nope',
        }),
        'contactEmail',
      );
      expectFieldError(
        await patch('/clients/ville-de-demo', { authMethod: 'private_key_jwt' }),
        'authMethod',
      );
      expectFieldError(
        await patch('/clients/ville-de-demo', { clientSecret: 'chosen-by-me' }),
        'clientSecret',
      );
      const dup = await post('/clients', {
        ...base,
        clientId: 'ville-de-demo',
        redirectUris: ['https://ok.example.fr/cb'],
      });
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('client_exists');
    });

    it('suspends a client at once: its unexpired access token stops working', async () => {
      const client = await seedClient(gw, { clientId: 'to-suspend' });
      const token = await requestToken(client);
      expect(token.status).toBe(200);
      const me = () =>
        request(gw.url)
          .get('/api/v1/clients/me')
          .set('Authorization', `Bearer ${token.body.access_token}`);
      expect((await me()).status).toBe(200);

      const suspended = await patch('/clients/to-suspend', { status: 'suspended' });
      expect(suspended.status).toBe(200);
      expect(suspended.body.status).toBe('suspended');
      expect((await me()).status).toBe(401);
      const again = await requestToken(client);
      expect(again.status).toBe(401);

      await patch('/clients/to-suspend', { status: 'active' });
      const back = await requestToken(client);
      expect(back.status).toBe(200);
    });
  });

  describe('habilitations', () => {
    let habilitationId: string;

    it('grants datasets to a client, found by the hot-path query only when it covers them all', async () => {
      const res = await post('/habilitations', {
        clientId: 'ville-de-demo',
        datasets: ['cnaf.quotient_familial', 'dgfip.avis_imposition'],
        purpose: 'Tarification de la restauration scolaire',
        legalBasis: 'Délibération du conseil municipal n° 2024-42',
        legalBasisUrl: 'https://www.ville-demo.example.fr/deliberations/2024-42.pdf',
        maxDurationDays: 365,
        validTo: new Date(Date.now() + 86_400_000 * 365).toISOString(),
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        clientId: 'ville-de-demo',
        status: 'active',
        allowPeriodic: false,
        minFetchIntervalSeconds: 0,
      });
      habilitationId = res.body.id;

      const client = await registry.getClientByClientId('ville-de-demo');
      expect(client).not.toBeNull();
      expect(
        (await registry.findActiveHabilitation(client!.id, ['cnaf.quotient_familial']))?.id,
      ).toBe(habilitationId);
      expect(
        (
          await registry.findActiveHabilitation(client!.id, [
            'cnaf.quotient_familial',
            'dgfip.avis_imposition',
          ])
        )?.id,
      ).toBe(habilitationId);
      expect(
        await registry.findActiveHabilitation(client!.id, [
          'cnaf.quotient_familial',
          'mesr.statut_etudiant',
        ]),
      ).toBeNull();
      expect(await registry.findActiveHabilitation(client!.id, [])).toBeNull();
      // Outside its validity window, it covers nothing.
      expect(
        await registry.findActiveHabilitation(
          client!.id,
          ['cnaf.quotient_familial'],
          new Date(Date.now() + 86_400_000 * 400),
        ),
      ).toBeNull();
      expect(
        await registry.findActiveHabilitation(
          client!.id,
          ['cnaf.quotient_familial'],
          new Date(Date.now() - 60_000),
        ),
      ).toBeNull();

      const list = await get('/habilitations?clientId=ville-de-demo&status=active');
      expect(list.body.items.map((h: { id: string }) => h.id)).toEqual([habilitationId]);
      expect((await get('/habilitations?clientId=nobody-here')).body.items).toEqual([]);
    });

    it('refuses unknown clients and datasets, blank purposes and inconsistent dates', async () => {
      const ok = {
        clientId: 'ville-de-demo',
        datasets: ['cnaf.quotient_familial'],
        purpose: 'p',
        legalBasis: 'l',
        maxDurationDays: 30,
      };
      expectFieldError(
        await post('/habilitations', { ...ok, clientId: 'nobody-here' }),
        'clientId',
      );
      expectFieldError(
        await post('/habilitations', { ...ok, datasets: ['cnaf.unknown'] }),
        'datasets',
      );
      expectFieldError(await post('/habilitations', { ...ok, datasets: [] }), 'datasets');
      expectFieldError(await post('/habilitations', { ...ok, purpose: '  ' }), 'purpose');
      expectFieldError(await post('/habilitations', { ...ok, legalBasis: '' }), 'legalBasis');
      expectFieldError(
        await post('/habilitations', { ...ok, legalBasisUrl: 'http://legifrance.gouv.fr/x' }),
        'legalBasisUrl',
      );
      expectFieldError(
        await post('/habilitations', { ...ok, maxDurationDays: 0 }),
        'maxDurationDays',
      );
      expectFieldError(
        await post('/habilitations', { ...ok, maxDurationDays: 3651 }),
        'maxDurationDays',
      );
      expectFieldError(
        await post('/habilitations', {
          ...ok,
          validFrom: '2030-01-02T00:00:00Z',
          validTo: '2030-01-01T00:00:00Z',
        }),
        'validTo',
      );
      expectFieldError(await post('/habilitations', { ...ok, validFrom: 'tomorrow' }), 'validFrom');
      expectFieldError(await post('/habilitations', { ...ok, status: 'revoked' }), 'status');
      expectFieldError(
        await patch(`/habilitations/${habilitationId}`, { validTo: '2000-01-01T00:00:00Z' }),
        'validTo',
      );
      expect((await get('/habilitations/not-a-uuid')).body.code).toBe('habilitation_not_found');
    });

    it('amends, then revokes for good: the hot path stops seeing it at once', async () => {
      const amended = await patch(`/habilitations/${habilitationId}`, {
        maxDurationDays: 90,
        allowPeriodic: true,
        legalBasisUrl: null,
      });
      expect(amended.status).toBe(200);
      expect(amended.body).toMatchObject({
        maxDurationDays: 90,
        allowPeriodic: true,
        legalBasisUrl: null,
      });

      const revoked = await patch(`/habilitations/${habilitationId}`, { status: 'revoked' });
      expect(revoked.body.status).toBe('revoked');
      const client = await registry.getClientByClientId('ville-de-demo');
      expect(
        await registry.findActiveHabilitation(client!.id, ['cnaf.quotient_familial']),
      ).toBeNull();

      for (const body of [{ status: 'active' }, { purpose: 'autre' }, { status: 'revoked' }]) {
        const res = await patch(`/habilitations/${habilitationId}`, body);
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('habilitation_revoked');
      }
    });

    it('deletes only unreferenced providers and datasets', async () => {
      const usedDataset = await del('/datasets/cnaf.quotient_familial');
      expect(usedDataset.status).toBe(409);
      expect(usedDataset.body.code).toBe('dataset_in_use');
      const usedProvider = await del('/providers/cnaf');
      expect(usedProvider.status).toBe(409);
      expect(usedProvider.body.code).toBe('provider_in_use');

      expect((await del('/datasets/cnaf.draft7')).status).toBe(204);
      expect((await get('/datasets/cnaf.draft7')).status).toBe(404);
      await seedProvider(gw, { id: 'ephemeral', auth: { kind: 'none' } });
      expect((await del('/providers/ephemeral')).status).toBe(204);
      expect((await del('/providers/ephemeral')).body.code).toBe('provider_not_found');
    });
  });

  describe('listing', () => {
    it('pages with an opaque cursor over more items than the limit, and filters by status', async () => {
      for (let i = 0; i < 7; i++) {
        const c = await seedClient(gw, {
          clientId: `page-${i}`,
          status: i % 3 === 0 ? 'suspended' : 'active',
        });
        generatedClientSecrets.push(c.clientSecret!);
      }
      const total = await gw.prisma.client.count();
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(
          `/clients?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(3);
        ids.push(...res.body.items.map((c: { clientId: string }) => c.clientId));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(Math.ceil(total / 3));
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);

      const suspended = await get('/clients?status=suspended&limit=200');
      expect(suspended.body.items.map((c: { clientId: string }) => c.clientId)).toEqual([
        'page-0',
        'page-3',
        'page-6',
      ]);
      expect(suspended.body.nextCursor).toBeNull();
      for (const c of suspended.body.items) expect(c).not.toHaveProperty('clientSecret');
    });

    it('refuses forged cursors, limits out of range and unknown filters', async () => {
      for (const cursor of [
        'garbage',
        Buffer.from('["x","y"]').toString('base64url'),
        Buffer.from('{}').toString('base64url'),
      ]) {
        const res = await get(`/providers?cursor=${cursor}`);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('invalid_cursor');
      }
      expectFieldError(await get('/providers?limit=201'), 'limit');
      expectFieldError(await get('/providers?limit=0'), 'limit');
      expectFieldError(await get('/providers?limit=ten'), 'limit');
      expectFieldError(await get('/providers?status=deleted'), 'status');
      expectFieldError(await get('/providers?orderBy=name'), 'orderBy');
      expect((await get('/providers?limit=2')).body).toMatchObject({
        items: expect.any(Array),
        nextCursor: expect.any(String),
      });
    });
  });

  describe('signing keys', () => {
    it('rotates the signing key: the JWKS shows both, a token signed before stays valid', async () => {
      const client = await seedClient(gw, { clientId: 'key-rotation' });
      const token = await requestToken(client);
      expect(token.status).toBe(200);
      const before = (await request(gw.url).get('/.well-known/jwks.json')).body.keys.map(
        (k: { kid: string }) => k.kid,
      );

      const rotated = await post('/keys/rotate');
      expect(rotated.status).toBe(200);
      expect(rotated.body).toEqual({ kid: expect.any(String), previousKid: expect.any(String) });
      expect(before).toContain(rotated.body.previousKid);
      const after = (await request(gw.url).get('/.well-known/jwks.json')).body.keys.map(
        (k: { kid: string }) => k.kid,
      );
      expect(after).toEqual(expect.arrayContaining([rotated.body.kid, rotated.body.previousKid]));

      const me = await request(gw.url)
        .get('/api/v1/clients/me')
        .set('Authorization', `Bearer ${token.body.access_token}`);
      expect(me.status).toBe(200);
      const fresh = await requestToken(client);
      const header = JSON.parse(
        Buffer.from(fresh.body.access_token.split('.')[0], 'base64url').toString(),
      );
      expect(header.kid).toBe(rotated.body.kid);
      const audit = await gw.prisma.auditEvent.findFirst({
        where: { kind: 'admin.signing_key.rotate' },
      });
      expect(audit?.details).toMatchObject({ kid: rotated.body.kid });
    });
  });

  describe('audit and documentation', () => {
    it('audits every admin call, success or refusal, with ids and never a secret', async () => {
      const before = await gw.prisma.auditEvent.count({
        where: { kind: { startsWith: 'admin.' } },
      });
      const secret = `audit-probe-${randomBytes(8).toString('hex')}`;
      const created = await post('/providers', {
        id: 'audited',
        name: 'A',
        baseUrl: 'https://a.example.fr',
        auth: { kind: 'bearer', token: secret },
      });
      const refused = await post('/providers', {
        id: 'audited2',
        name: 'A',
        baseUrl: 'file:///etc/passwd',
        auth: { kind: 'bearer', token: secret },
      });
      const missing = await get('/providers/nothing');
      const listed = await get('/providers');
      const rotated = await post('/clients/ville-de-demo/secret');
      generatedClientSecrets.push(rotated.body.clientSecret);
      expect([
        created.status,
        refused.status,
        missing.status,
        listed.status,
        rotated.status,
      ]).toEqual([201, 400, 404, 200, 200]);

      const events = await gw.prisma.auditEvent.findMany({
        where: { kind: { startsWith: 'admin.' } },
        orderBy: { seq: 'asc' },
        skip: before,
      });
      expect(events.map((e) => [e.kind, e.outcome, e.httpStatus])).toEqual([
        ['admin.provider.create', 'success', 201],
        ['admin.provider.create', 'refused', 400],
        ['admin.provider.read', 'refused', 404],
        ['admin.provider.list', 'success', 200],
        ['admin.client.rotate_secret', 'success', 200],
      ]);
      for (const e of events) {
        expect(e.actor).toBe('operator:bootstrap');
        expect(e.requestId).toEqual(expect.any(String));
      }
      expect(events[0].details).toMatchObject({
        resource: 'provider',
        action: 'create',
        id: 'audited',
      });
      expect(events[1].details).toMatchObject({ code: 'validation_failed', fields: ['baseUrl'] });
      expect(events[2].details).toMatchObject({ code: 'provider_not_found', id: 'nothing' });
      expect(events[4].clientId).toBe('ville-de-demo');
      const text = JSON.stringify(events, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
      expect(text).not.toContain(secret);
      expect(text).not.toContain(rotated.body.clientSecret);

      // Every admin call of this file, whatever its outcome, left exactly one row.
      const rows = await gw.prisma.auditEvent.findMany({
        where: { kind: { startsWith: 'admin.' } },
        select: { requestId: true },
      });
      const perRequest = new Map<string, number>();
      for (const r of rows) perRequest.set(r.requestId!, (perRequest.get(r.requestId!) ?? 0) + 1);
      expect(seen.length).toBeGreaterThan(100);
      for (const { requestId } of seen)
        expect([requestId, perRequest.get(requestId)]).toEqual([requestId, 1]);
      expect((await gw.app.get(AuditService).verify()).ok).toBe(true);
    });

    it('documents every admin endpoint under the operator security scheme, with no secret in any answer schema', async () => {
      const doc = (await request(gw.url).get('/docs-json').expect(200)).body;
      const adminPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/admin/'));
      expect(adminPaths).toEqual(
        expect.arrayContaining([
          '/api/v1/admin/providers',
          '/api/v1/admin/providers/{id}',
          '/api/v1/admin/datasets',
          '/api/v1/admin/datasets/{id}',
          '/api/v1/admin/clients',
          '/api/v1/admin/clients/{id}',
          '/api/v1/admin/clients/{id}/secret',
          '/api/v1/admin/habilitations',
          '/api/v1/admin/habilitations/{id}',
          '/api/v1/admin/keys/rotate',
        ]),
      );
      for (const path of adminPaths) {
        for (const op of Object.values(doc.paths[path]) as {
          tags: string[];
          security: object[];
        }[]) {
          expect(op.tags).toContain('admin');
          expect(op.security).toEqual([{ operator: [] }]);
        }
      }
      const providerDto = doc.components.schemas.ProviderDto;
      expect(JSON.stringify(doc.components.schemas.ProviderAuthViewDto)).not.toMatch(
        /"secret"|"token"|clientSecret/,
      );
      expect(providerDto.properties.auth).toBeDefined();
      expect(doc.components.schemas.ClientDto.properties).not.toHaveProperty('secretHash');
    });

    it('never returned a secret it was given, nor a client secret after its creation answer', () => {
      const all = seen.map((r) => r.text).join('\n');
      for (const secret of Object.values(SECRETS)) expect(all).not.toContain(secret);
      // Client secrets appear exactly once: in the answer that created or rotated them.
      for (const secret of generatedClientSecrets.filter(Boolean)) {
        expect(all.split(secret).length - 1).toBeLessThanOrEqual(1);
      }
    });
  });
});

describe('registry: seeding helpers against the demo providers', () => {
  it('registers the demo catalogue whose entries really work against the sandbox providers', async () => {
    const gw = await startGateway();
    const providers = await startDemoProviders();
    try {
      const seeded = await seedDemoRegistry(gw, providers);
      expect(seeded.datasets).toHaveLength(DEMO_CATALOG.datasets.length);
      expect(seeded.client.clientSecret).toEqual(expect.any(String));
      expect(seeded.habilitation.datasets).toEqual(seeded.datasets);

      const registry = gw.app.get(RegistryService);
      const client = await registry.getClientByClientId(seeded.client.clientId);
      expect((await registry.findActiveHabilitation(client!.id, seeded.datasets))?.id).toBe(
        seeded.habilitation.id,
      );

      // What the exchange will do, by hand: the registry's entries (path, identity parameters,
      // decrypted credentials, schema) are enough to get a schema-valid answer for a citizen.
      const angela = findCitizen('angela')!;
      for (const id of [
        'cnaf.quotient_familial',
        'dgfip.avis_imposition',
        'mesr.statut_etudiant',
      ]) {
        const dataset = (await registry.getActiveDataset(id))!;
        const provider = (await registry.getProviderWithSecret(dataset.providerId))!;
        const url = new URL(provider.baseUrl + dataset.path);
        for (const [claim, param] of Object.entries(dataset.identityParams)) {
          url.searchParams.set(param, angela[claim as keyof typeof angela] as string);
        }
        const headers: Record<string, string> = {};
        if (provider.auth.kind === 'api_key')
          headers[provider.auth.headerName] = provider.auth.secret;
        if (provider.auth.kind === 'bearer')
          headers.authorization = `Bearer ${provider.auth.token}`;
        const res = await fetch(url, { headers });
        expect([id, res.status]).toEqual([id, 200]);
        const validate = compileResponseSchema(dataset.responseSchema);
        expect([id, validate(await res.json()), validate.errors]).toEqual([id, true, null]);
      }
    } finally {
      await providers.close();
      await gw.close();
    }
  });
});
