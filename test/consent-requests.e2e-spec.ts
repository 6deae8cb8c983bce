/**
 * Consent requests from the requesting service's side, end to end: real tokens from
 * /oauth/token, a registry seeded through the operator API, HTTP only for the client API (the
 * citizen's decision goes through ConsentService.decide, as the citizen pages do). Covers the
 * happy path with a receipt verified by plain jose against the published JWKS, refusal, every
 * refusal of a request, idempotency, and isolation between clients.
 */
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import request from 'supertest';
import { canonicalJson } from '../src/audit/canonical-json.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import {
  approvedConsent,
  clientGet,
  consentClient,
  CONSENT_REQUESTS,
  CONSENTS,
  createCitizen,
  createConsentRequest,
  decideAs,
  pendingRequest,
  requestBody,
  seedConsentCatalog,
  type ConsentClient,
} from './support/consent.js';
import { ADMIN, operatorApi } from './support/operator.js';

const QF = 'cnaf.quotient_familial';
const DGFIP = 'dgfip.avis_imposition';
const FT = 'france_travail.statut';

describe('consent requests (client API)', () => {
  let gw: TestGateway;
  /** Habilitated for QF + DGFIP, 90 days at most, once only. */
  let a: ConsentClient;
  /** Another client, habilitated for QF, periodic allowed. */
  let b: ConsentClient;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    gw = await startGateway();
    await seedConsentCatalog(gw);
    a = await consentClient(gw, { datasets: [QF, DGFIP], maxDurationDays: 90 });
    b = await consentClient(gw, {
      datasets: [QF],
      allowPeriodic: true,
      minFetchIntervalSeconds: 3600,
    });
    const res = await fetch(`${gw.url}/.well-known/jwks.json`);
    jwks = createLocalJWKSet((await res.json()) as JSONWebKeySet);
  });

  afterAll(async () => {
    await gw?.close();
  });

  const expectProblem = (res: request.Response, status: number, code: string) => {
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  describe('happy path', () => {
    it('creates a pending request, approves it, and serves the artefact with a receipt that verifies against the JWKS', async () => {
      const before = Date.now();
      const body = requestBody(a, {
        datasets: [QF, DGFIP],
        durationDays: 60,
        state: 'opaque state ~ with spaces & symbols=1',
      });
      const created = await createConsentRequest(gw, a.token, body);
      expect(created.status).toBe(201);
      const { id, status, consentUrl, expiresAt } = created.body;
      expect(status).toBe('pending');
      expect(consentUrl).toBe(`${gw.config.publicUrl}/consent/${id}`);
      expect(created.headers.location).toBe(`/api/v1/consent-requests/${id}`);
      const ttl = new Date(expiresAt).getTime() - before;
      expect(ttl).toBeGreaterThan(14 * 60_000);
      expect(ttl).toBeLessThanOrEqual(15 * 60_000 + 60_000);

      const pending = await clientGet(gw, a.token, `${CONSENT_REQUESTS}/${id}`);
      expect(pending.status).toBe(200);
      expect(pending.body).toEqual({ id, status: 'pending', expiresAt });

      const citizen = await createCitizen(gw);
      const decided = await decideAs(gw, id, citizen.id, 'approve');
      const redirect = new URL(decided.redirectUrl);
      expect(`${redirect.origin}${redirect.pathname}`).toBe(`${gw.url}/test-callback`);
      expect(redirect.searchParams.get('from')).toBe('passerelle'); // the registered query is kept
      expect(redirect.searchParams.get('consent_request')).toBe(id);
      expect(redirect.searchParams.get('status')).toBe('approved');
      expect(redirect.searchParams.get('state')).toBe(body.state);

      const approved = await clientGet(gw, a.token, `${CONSENT_REQUESTS}/${id}`);
      expect(approved.body).toEqual({
        id,
        status: 'approved',
        consentId: decided.consentId,
        expiresAt,
      });

      const consent = await clientGet(gw, a.token, `${CONSENTS}/${decided.consentId}`);
      expect(consent.status).toBe(200);
      const artefact = consent.body;
      expect(artefact).toMatchObject({
        id: decided.consentId,
        clientId: a.client.clientId,
        datasets: [QF, DGFIP],
        purpose: body.purpose,
        legalBasis: 'Article L. 114-8 du code des relations entre le public et l’administration',
        fetchMode: 'once',
        fetchCount: 0,
        status: 'active',
      });
      const days =
        (new Date(artefact.expiresAt).getTime() - new Date(artefact.validFrom).getTime()) /
        86_400_000;
      expect(days).toBe(60);
      // The citizen is a pseudonym: neither our citizen id nor their FranceConnect sub.
      expect(artefact.citizen).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(artefact)).not.toContain(citizen.id);
      expect(JSON.stringify(artefact)).not.toContain(citizen.sub);
      expect(JSON.stringify(artefact)).not.toMatch(/MARTIN|Camille|1990-04-12/);

      // Plain jose, the published JWKS, nothing of ours.
      const { payload, protectedHeader } = await jwtVerify(artefact.receipt, jwks, {
        issuer: gw.config.publicUrl,
        typ: 'passerelle-consent+jwt',
        algorithms: ['ES256'],
      });
      expect(protectedHeader.kid).toBeDefined();
      expect(payload).toEqual({
        iss: gw.config.publicUrl,
        iat: expect.any(Number),
        consent_id: artefact.id,
        consent_request_id: id,
        client_id: a.client.clientId,
        client_siret: '21690123100011',
        citizen: artefact.citizen,
        datasets: [QF, DGFIP],
        purpose: body.purpose,
        // The legal purpose the request's specific purpose falls within (the habilitation's).
        habilitation_purpose:
          'Calcul du tarif de la restauration scolaire selon le quotient familial',
        legal_basis: artefact.legalBasis,
        valid_from: artefact.validFrom,
        expires_at: artefact.expiresAt,
        fetch_mode: 'once',
      });
      // The signed bytes are the canonical JSON of the artefact.
      const signedBytes = Buffer.from(artefact.receipt.split('.')[1], 'base64url').toString('utf8');
      expect(signedBytes).toBe(canonicalJson(payload));

      // Stable pseudonym for one client and one citizen.
      const again = await pendingRequest(gw, a);
      const second = await decideAs(gw, again.id, citizen.id, 'approve');
      const other = await clientGet(gw, a.token, `${CONSENTS}/${second.consentId}`);
      expect(other.body.citizen).toBe(artefact.citizen);

      const kinds = await gw.prisma.auditEvent.findMany({
        where: { OR: [{ consentId: decided.consentId }, { kind: 'consent.requested' }] },
        select: { kind: true, clientId: true, citizenId: true, details: true },
      });
      expect(kinds).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            kind: 'consent.requested',
            clientId: a.client.clientId,
            details: expect.objectContaining({ consentRequestId: id }),
          }),
          expect.objectContaining({
            kind: 'consent.approved',
            clientId: a.client.clientId,
            citizenId: citizen.id,
          }),
        ]),
      );
    });

    it('refuses to verify a tampered receipt, or one re-signed with another key', async () => {
      const { consentId } = await approvedConsent(gw, a);
      const { receipt } = (await clientGet(gw, a.token, `${CONSENTS}/${consentId}`)).body;
      const [header, payload, signature] = receipt.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const forged = Buffer.from(
        JSON.stringify({ ...claims, expires_at: '2099-01-01T00:00:00.000Z' }),
      ).toString('base64url');
      await expect(jwtVerify(`${header}.${forged}.${signature}`, jwks)).rejects.toThrow();
      const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
      await expect(jwtVerify(`${header}.${payload}.${flipped}`, jwks)).rejects.toThrow();
      const none = Buffer.from(
        JSON.stringify({ ...decodeProtectedHeader(receipt), alg: 'none' }),
      ).toString('base64url');
      await expect(jwtVerify(`${none}.${payload}.`, jwks)).rejects.toThrow();
    });

    it('refusal: the request ends denied, without a consent, and the citizen goes back with status=denied', async () => {
      const req = await pendingRequest(gw, a, { state: 'xyz' });
      const citizen = await createCitizen(gw);
      const decided = await decideAs(gw, req.id, citizen.id, 'deny');
      expect(decided.consentId).toBeUndefined();
      const redirect = new URL(decided.redirectUrl);
      expect(Object.fromEntries(redirect.searchParams)).toEqual({
        from: 'passerelle',
        consent_request: req.id,
        status: 'denied',
        state: 'xyz',
      });
      const res = await clientGet(gw, a.token, `${CONSENT_REQUESTS}/${req.id}`);
      expect(res.body).toEqual({ id: req.id, status: 'denied', expiresAt: req.expiresAt });
      expect(await gw.prisma.consent.count({ where: { requestId: req.id } })).toBe(0);
      expect(
        await gw.prisma.auditEvent.count({
          where: { kind: 'consent.denied', citizenId: citizen.id },
        }),
      ).toBe(1);
    });

    it('omits state from the redirect when the request had none', async () => {
      const req = await pendingRequest(gw, a, { state: undefined });
      const citizen = await createCitizen(gw);
      const { redirectUrl } = await decideAs(gw, req.id, citizen.id, 'deny');
      expect(new URL(redirectUrl).searchParams.has('state')).toBe(false);
    });

    it('accepts periodic access when the habilitation allows it', async () => {
      const res = await createConsentRequest(
        gw,
        b.token,
        requestBody(b, { fetchMode: 'periodic' }),
      );
      expect(res.status).toBe(201);
    });
  });

  describe('refusals', () => {
    it('redirectUri must be registered, exactly', async () => {
      for (const redirectUri of [
        'https://evil.example/cb',
        `${gw.url}/test-callback`, // registered with ?from=passerelle: not the same URI
        `${gw.url}/test-callback?from=passerelle&x=1`,
        `${gw.url}/test-callback?from=passerelle#frag`,
        `${gw.url}/TEST-callback?from=passerelle`,
        b.redirectUri.replace('from=passerelle', 'from=passerellf'),
      ]) {
        const res = await createConsentRequest(gw, a.token, requestBody(a, { redirectUri }));
        expectProblem(res, 400, 'redirect_uri_not_registered');
        expect(res.body.errors).toEqual([{ field: 'redirectUri', messages: [expect.any(String)] }]);
      }
    });

    it('403 naming the datasets no habilitation of the client covers', async () => {
      const res = await createConsentRequest(gw, a.token, requestBody(a, { datasets: [QF, FT] }));
      expectProblem(res, 403, 'datasets_not_habilitated');
      expect(res.body.datasets).toEqual([FT]);
      expect(res.body.detail).toContain(FT);
      const only = await createConsentRequest(
        gw,
        b.token,
        requestBody(b, { datasets: [DGFIP, FT] }),
      );
      expectProblem(only, 403, 'datasets_not_habilitated');
      expect(only.body.datasets).toEqual([DGFIP, FT]);
    });

    it('403 when the datasets are covered only by two different habilitations', async () => {
      const c = await consentClient(gw, { datasets: [QF] });
      const { clientId } = c.client;
      await operatorApi(gw).post(`${ADMIN}/habilitations`, {
        clientId,
        datasets: [DGFIP],
        purpose: 'Autre démarche',
        legalBasis: 'Autre texte',
        maxDurationDays: 30,
      });
      const res = await createConsentRequest(
        gw,
        c.token,
        requestBody(c, { datasets: [QF, DGFIP] }),
      );
      expectProblem(res, 403, 'datasets_not_habilitated');
      expect(res.body.datasets).toHaveLength(1);
    });

    it('403 once the habilitation is revoked, or before it starts', async () => {
      const c = await consentClient(gw, { datasets: [QF] });
      expect((await createConsentRequest(gw, c.token, requestBody(c))).status).toBe(201);
      const patched = await operatorApi(gw).patch(`${ADMIN}/habilitations/${c.habilitationId}`, {
        status: 'revoked',
      });
      expect(patched.status).toBe(200);
      const res = await createConsentRequest(gw, c.token, requestBody(c));
      expectProblem(res, 403, 'datasets_not_habilitated');
      expect(res.body.datasets).toEqual([QF]);

      const future = await consentClient(gw, {
        datasets: [QF],
        validFrom: new Date(Date.now() + 86_400_000).toISOString(),
      });
      expectProblem(
        await createConsentRequest(gw, future.token, requestBody(future)),
        403,
        'datasets_not_habilitated',
      );
    });

    it('400 for an unknown or disabled dataset', async () => {
      const res = await createConsentRequest(
        gw,
        a.token,
        requestBody(a, { datasets: [QF, 'cnaf.inexistant'] }),
      );
      expectProblem(res, 400, 'unknown_dataset');
      expect(res.body.datasets).toEqual(['cnaf.inexistant']);
    });

    it('400 when durationDays exceeds the habilitation (refused, never silently shortened)', async () => {
      const res = await createConsentRequest(gw, a.token, requestBody(a, { durationDays: 91 }));
      expectProblem(res, 400, 'duration_exceeds_habilitation');
      expect(res.body.maxDurationDays).toBe(90);
      expect(res.body.errors).toEqual([
        { field: 'durationDays', messages: ['durationDays must not be greater than 90'] },
      ]);
      expect(
        (await createConsentRequest(gw, a.token, requestBody(a, { durationDays: 90 }))).status,
      ).toBe(201);
    });

    it('400 for periodic access the habilitation does not allow', async () => {
      const res = await createConsentRequest(
        gw,
        a.token,
        requestBody(a, { fetchMode: 'periodic' }),
      );
      expectProblem(res, 400, 'periodic_not_allowed');
    });

    it('400 validation_failed naming the field for malformed bodies', async () => {
      const cases: Array<[string, object]> = [
        ['datasets', { datasets: [] }],
        ['datasets', { datasets: [QF, QF] }],
        ['datasets', { datasets: Array.from({ length: 21 }, (_, i) => `cnaf.d${i}x`) }],
        ['datasets', { datasets: ["cnaf.x' OR 1=1 --"] }],
        ['datasets', { datasets: 'cnaf.quotient_familial' }],
        ['purpose', { purpose: 'ab' }],
        ['purpose', { purpose: 'x'.repeat(501) }],
        ['purpose', { purpose: '   ' }],
        ['durationDays', { durationDays: 0 }],
        ['durationDays', { durationDays: 1.5 }],
        ['durationDays', { durationDays: '30' }],
        ['redirectUri', { redirectUri: 42 }],
        ['state', { state: 'a'.repeat(513) }],
        ['state', { state: 'new\nline' }],
        ['state', { state: 'é' }],
        ['fetchMode', { fetchMode: 'always' }],
        ['notificationUrl', { notificationUrl: 'http://example.com/hook' }],
        ['notificationUrl', { notificationUrl: 'file:///etc/passwd' }],
        ['notificationUrl', { notificationUrl: 'https://user:pw@example.com/hook' }],
        ['citizenId', { citizenId: 'x' }],
      ];
      for (const [field, override] of cases) {
        const res = await createConsentRequest(gw, a.token, requestBody(a, override as never));
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      // Control characters are refused at the edge, before validation (test/security/input).
      const nul = await createConsentRequest(
        gw,
        a.token,
        requestBody(a, { purpose: 'line\u0000break' }),
      );
      expectProblem(nul, 400, 'forbidden_characters');
      expect(nul.body.errors[0].field).toBe('purpose');
      for (const missing of ['datasets', 'purpose', 'durationDays', 'redirectUri']) {
        const body = requestBody(a);
        delete body[missing];
        const res = await createConsentRequest(gw, a.token, body);
        expectProblem(res, 400, 'validation_failed');
        // One message for a missing field, not every rule it would also break.
        expect(res.body.errors).toEqual([{ field: missing, messages: [`${missing} is required`] }]);
      }
    });

    it('401 without a valid client token', async () => {
      const none = await request(gw.url).post(CONSENT_REQUESTS).send(requestBody(a));
      expectProblem(none, 401, 'invalid_token');
      const operator = await request(gw.url)
        .post(CONSENT_REQUESTS)
        .set('Authorization', `Bearer ${gw.config.operatorToken}`)
        .send(requestBody(a));
      expectProblem(operator, 401, 'invalid_token');
      expect(await clientGet(gw, 'garbage', `${CONSENT_REQUESTS}/${randomUUID()}`)).toMatchObject({
        status: 401,
      });
    });
  });

  describe('Idempotency-Key', () => {
    it('same key and same body: the same request again (201, same id, Idempotent-Replayed)', async () => {
      const key = `key-${randomUUID()}`;
      const body = requestBody(a);
      const first = await createConsentRequest(gw, a.token, body, { 'Idempotency-Key': key });
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      // Same content, other key order and default made explicit: the same canonical body.
      const reordered = Object.fromEntries(
        Object.entries({ ...body, fetchMode: 'once' }).reverse(),
      );
      const second = await createConsentRequest(gw, a.token, reordered, { 'Idempotency-Key': key });
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
      expect(await gw.prisma.consentRequest.count({ where: { idempotencyKey: key } })).toBe(1);
    });

    it('a body digest is kept only for a request that can be answered again (with a key)', async () => {
      const keyed = await createConsentRequest(gw, a.token, requestBody(a), {
        'Idempotency-Key': `key-${randomUUID()}`,
      });
      const keyless = await createConsentRequest(gw, a.token, requestBody(a));
      expect([keyed.status, keyless.status]).toEqual([201, 201]);
      const digest = async (id: string) =>
        (await gw.prisma.consentRequest.findUniqueOrThrow({ where: { id } })).bodyDigest;
      expect(await digest(keyed.body.id)).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await digest(keyless.body.id)).toBeNull();
    });

    it('same key with another body: 422 idempotency_key_reused, nothing created', async () => {
      const key = `key-${randomUUID()}`;
      const first = await createConsentRequest(gw, a.token, requestBody(a, { state: 's1' }), {
        'Idempotency-Key': key,
      });
      expect(first.status).toBe(201);
      const res = await createConsentRequest(gw, a.token, requestBody(a, { state: 's2' }), {
        'Idempotency-Key': key,
      });
      expectProblem(res, 422, 'idempotency_key_reused');
      expect(await gw.prisma.consentRequest.count({ where: { idempotencyKey: key } })).toBe(1);
    });

    it('concurrent calls with one key make exactly one request', async () => {
      const key = `race-${randomUUID()}`;
      const body = requestBody(a);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          createConsentRequest(gw, a.token, body, { 'Idempotency-Key': key }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(6).fill(201));
      expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
      expect(await gw.prisma.consentRequest.count({ where: { idempotencyKey: key } })).toBe(1);
    });

    it('keys are per client, and other keys make other requests', async () => {
      const key = `shared-${randomUUID()}`;
      const ra = await createConsentRequest(gw, a.token, requestBody(a, { datasets: [QF] }), {
        'Idempotency-Key': key,
      });
      const rb = await createConsentRequest(gw, b.token, requestBody(b, { datasets: [QF] }), {
        'Idempotency-Key': key,
      });
      expect([ra.status, rb.status]).toEqual([201, 201]);
      expect(ra.body.id).not.toBe(rb.body.id);
      const body = requestBody(a);
      const k1 = await createConsentRequest(gw, a.token, body, { 'Idempotency-Key': `${key}-1` });
      const k2 = await createConsentRequest(gw, a.token, body, { 'Idempotency-Key': `${key}-2` });
      expect(k1.body.id).not.toBe(k2.body.id);
    });

    it('refuses a malformed key', async () => {
      for (const key of ['x'.repeat(256), 'tab\there', 'clé']) {
        const res = await createConsentRequest(gw, a.token, requestBody(a), {
          'Idempotency-Key': key,
        });
        expectProblem(res, 400, 'idempotency_key_invalid');
      }
    });
  });

  describe('isolation and ids', () => {
    it('another client sees neither the request nor the consent (404, same as unknown)', async () => {
      const { requestId, consentId } = await approvedConsent(gw, a);
      const req = await clientGet(gw, b.token, `${CONSENT_REQUESTS}/${requestId}`);
      const unknown = await clientGet(gw, b.token, `${CONSENT_REQUESTS}/${randomUUID()}`);
      expectProblem(req, 404, 'consent_request_not_found');
      expect({ ...req.body, requestId: '' }).toEqual({ ...unknown.body, requestId: '' });
      const consent = await clientGet(gw, b.token, `${CONSENTS}/${consentId}`);
      const unknownConsent = await clientGet(gw, b.token, `${CONSENTS}/${randomUUID()}`);
      expectProblem(consent, 404, 'consent_not_found');
      expect({ ...consent.body, requestId: '' }).toEqual({ ...unknownConsent.body, requestId: '' });
      expect(JSON.stringify(consent.body)).not.toContain(a.client.clientId);
    });

    it('garbage ids answer 404, never 500', async () => {
      // A NUL in an id is refused at the edge (400 forbidden_characters, test/security/input).
      expectProblem(await clientGet(gw, a.token, `${CONSENTS}/%00`), 400, 'forbidden_characters');
      for (const id of [
        'abc',
        "1' OR '1'='1",
        '00000000-0000-0000-0000-00000000000g',
        'x'.repeat(2000),
        '..%2F..%2Fadmin',
        randomUUID().toUpperCase(),
      ]) {
        expectProblem(
          await clientGet(gw, a.token, `${CONSENT_REQUESTS}/${id}`),
          404,
          'consent_request_not_found',
        );
        expectProblem(await clientGet(gw, a.token, `${CONSENTS}/${id}`), 404, 'consent_not_found');
      }
    });
  });

  describe('expiry at read time', () => {
    it('a pending request past expiresAt reads expired at once, and is recorded so', async () => {
      const req = await pendingRequest(gw, a);
      await gw.prisma.consentRequest.update({
        where: { id: req.id },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });
      const res = await clientGet(gw, a.token, `${CONSENT_REQUESTS}/${req.id}`);
      expect(res.body.status).toBe('expired');
      const row = await gw.prisma.consentRequest.findUniqueOrThrow({ where: { id: req.id } });
      expect(row.status).toBe('expired');
    });

    it('an active consent past expiresAt reads expired at once, its key destroyed', async () => {
      const { consentId } = await approvedConsent(gw, a);
      await gw.prisma.consent.update({
        where: { id: consentId },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });
      const res = await clientGet(gw, a.token, `${CONSENTS}/${consentId}`);
      expect(res.body.status).toBe('expired');
      const row = await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
      expect(row.status).toBe('expired');
      expect(row.wrappedKey).toBeNull();
    });
  });
});
