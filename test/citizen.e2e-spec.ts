/**
 * The citizen's side of consent, end to end with the cookie-jar browser (fast): the consent page,
 * its CSP, the decision and every way it must be refused (CSRF, twice, expired, another
 * citizen), the preview fetched live from the demo providers, `/me` with revocation and the
 * access log, and the JSON twin under /api/v1/me. The real-Chromium journey is journey.e2e-spec.ts.
 *
 * Over ~350 lines on purpose: one file is one stack (gateway, sandboxes, database) started once
 * for all its cases; split, each part would start its own.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, createRemoteJWKSet } from 'jose';
import {
  CookieJar,
  loginThroughSandbox,
  request,
  type BrowserResponse,
} from '../sandbox/franceconnect/browser.js';
import { pairwiseSubject } from '../sandbox/franceconnect/server.js';
import { AuditService } from '../src/audit/audit.service.js';
import { AuditOutcomes, errorOutcome } from '../src/audit/audit-outcome.js';
import { startCitizenStack, type CitizenStack } from './support/browser.js';
import { TEST_FC_CLIENT_ID } from './support/franceconnect.js';
import { seedClient, seedHabilitation } from './support/operator.js';
import { clientToken } from './support/clients.js';
import { ANGELA_QUOTIENT } from './support/demo-values.js';

const PROBLEM = 'application/problem+json';

function errorCode(page: { body: string }): string | undefined {
  return /<code data-error-code>([a-z_]+)<\/code>/.exec(page.body)?.[1];
}

function csrfOf(page: { body: string }): string {
  const token = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no csrf field in page:\n${page.body.slice(0, 500)}`);
  return token;
}

describe('citizen pages: consent decision, preview, /me, /api/v1/me', () => {
  let stack: CitizenStack;
  let gw: CitizenStack['gw'];

  beforeAll(async () => {
    stack = await startCitizenStack();
    gw = stack.gw;
  });
  afterAll(async () => {
    await stack?.close();
  });
  afterEach(() => stack.providers.setMode('cnaf', 'normal'));

  /** Logs `login` in through the sandbox starting from `url`; returns the page landed on. */
  async function loginAt(url: string, login = 'angela', jar = new CookieJar()) {
    const page = await loginThroughSandbox(url, login, jar, { stopAt: stack.service.origin });
    return { jar, page };
  }

  function decide(jar: CookieJar, requestId: string, form: Record<string, string>) {
    return request(jar, `${gw.url}/consent/${requestId}/decision`, {
      body: new URLSearchParams(form),
    });
  }

  /** The session's CSRF token (the same one the forms carry). */
  async function jsonCsrf(jar: CookieJar): Promise<string> {
    const res = await request(jar, `${gw.url}/api/v1/me/csrf`);
    expect(res.status).toBe(200);
    return (JSON.parse(res.body) as { csrfToken: string }).csrfToken;
  }

  async function requestStatus(id: string): Promise<string> {
    const res = await stack.clientGet(`/api/v1/consent-requests/${id}`);
    expect(res.status).toBe(200);
    return res.body.status as string;
  }

  async function approvedConsent(login = 'angela') {
    const created = await stack.createRequest();
    const { jar, page } = await loginAt(created.consentUrl, login);
    const res = await decide(jar, created.id, { decision: 'approve', csrf: csrfOf(page) });
    expect(res.status).toBe(303);
    const consentId = (await stack.clientGet(`/api/v1/consent-requests/${created.id}`)).body
      .consentId as string;
    expect(consentId).toBeDefined();
    return { jar, consentId, requestId: created.id };
  }

  // ------------------------------------------------------------------------------------------
  // Sessions
  // ------------------------------------------------------------------------------------------

  it('shows an anonymous /me a landing page with FranceConnect’s button leading to the login and back', async () => {
    const res = await request(new CookieJar(), `${gw.url}/me`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<a class="fr-connect" href="/auth/login?returnTo=%2Fme">');
    expect(res.body).toContain('Qu’est-ce que FranceConnect ?');
    expect(res.body).not.toContain('data-revoke-form');
  });

  it('sends a decision or a revocation without session to the login, changing nothing', async () => {
    const created = await stack.createRequest();
    const jar = new CookieJar();
    const res = await decide(jar, created.id, { decision: 'approve', csrf: 'x' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${gw.url}/auth/login?returnTo=%2Fme`);
    const revoke = await request(jar, `${gw.url}/me/consents/${randomUUID()}/revoke`, {
      body: new URLSearchParams({ csrf: 'x' }),
    });
    expect(revoke.status).toBe(303);
    expect(await requestStatus(created.id)).toBe('pending');
  });

  it('answers 401 problem+json to /api/v1/me/* without a session', async () => {
    for (const path of ['/api/v1/me/consents', '/api/v1/me/accesses', '/api/v1/me/csrf']) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain(PROBLEM);
      expect(((await res.json()) as { code: string }).code).toBe('citizen_session_required');
    }
    const del = await fetch(`${gw.url}/api/v1/me/consents/${randomUUID()}`, { method: 'DELETE' });
    expect(del.status).toBe(401);
  });

  // ------------------------------------------------------------------------------------------
  // The consent page
  // ------------------------------------------------------------------------------------------

  it('shows the request after login, with a CSP letting the form lead to the redirect URI only', async () => {
    const created = await stack.createRequest({
      datasets: ['cnaf.quotient_familial', 'dgfip.avis_imposition'],
    });
    const { page } = await loginAt(created.consentUrl);
    expect(page.url).toBe(created.consentUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain(stack.registry.client.name as string);
    expect(page.body).toContain('Calcul du tarif de la restauration scolaire');
    expect(page.body).toContain('Quotient familial CAF &amp; MSA');
    expect(page.body).toContain('Avis d’impôt sur le revenu');
    expect(page.body).toContain('Direction générale des Finances publiques (DGFiP)');
    expect(page.body).toContain('Revenu fiscal de référence');
    // The first of a month is an ordinal in French: "1er janvier 2027".
    expect(page.body).toMatch(/Jusqu’au <time datetime="[^"]+">(1er|\d{1,2}) \S+ \d{4}<\/time>/);

    const csp = page.headers.get('content-security-policy') ?? '';
    const formAction = csp.split(';').find((d) => d.trim().startsWith('form-action'));
    // FranceConnect's origin: the header's logout form is answered with a redirect there.
    expect(formAction?.trim()).toBe(
      `form-action 'self' ${new URL(stack.fc.issuer).origin} ${stack.service.origin}`,
    );
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");

    // Elsewhere, forms stay on our origin.
    const me = await request(new CookieJar(), `${gw.url}/auth/login`);
    expect(me.headers.get('content-security-policy')).toContain(
      `form-action 'self' ${new URL(stack.fc.issuer).origin};`,
    );
  });

  it('answers a French 404 page for a malformed or unknown request id', async () => {
    const { jar } = await loginAt(`${gw.url}/auth/login?returnTo=/me`);
    for (const id of ['not-a-uuid', randomUUID()]) {
      const res = await request(jar, `${gw.url}/consent/${id}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(errorCode(res)).toBe('consent_request_not_found');
      expect(res.body).toContain('Demande introuvable');
    }
  });

  it('renders a client name and a purpose carrying <script> escaped', async () => {
    const evil = await seedClient(gw, {
      name: 'Mairie <script>alert("nom")</script>',
      redirectUris: [stack.service.redirectUri],
    });
    await seedHabilitation(gw, { clientId: evil.clientId, datasets: ['cnaf.quotient_familial'] });
    const token = await clientToken(gw, {
      id: evil.id,
      clientId: evil.clientId,
      clientSecret: evil.clientSecret ?? '',
      authMethod: 'client_secret_basic',
    });
    const res = await fetch(`${gw.url}/api/v1/consent-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        datasets: ['cnaf.quotient_familial'],
        purpose: 'Cantine <script>alert("finalité")</script> <img src=x onerror=alert(1)>',
        durationDays: 10,
        redirectUri: stack.service.redirectUri,
      }),
    });
    expect(res.status).toBe(201);
    const { consentUrl } = (await res.json()) as { consentUrl: string };
    const { page } = await loginAt(consentUrl);
    expect(page.status).toBe(200);
    expect(page.body).not.toMatch(/<script>alert/);
    expect(page.body).not.toMatch(/<img src=x/);
    expect(page.body).toContain('Mairie &lt;script&gt;alert(&quot;nom&quot;)&lt;/script&gt;');
    expect(page.body).toContain('Cantine &lt;script&gt;alert(&quot;finalité&quot;)&lt;/script&gt;');
  });

  // ------------------------------------------------------------------------------------------
  // The decision
  // ------------------------------------------------------------------------------------------

  it('approves: 303 to the redirect URI with consent_request, status and state', async () => {
    const created = await stack.createRequest({ state: 'etat-123' });
    const { jar, page } = await loginAt(created.consentUrl);
    const res = await decide(jar, created.id, { decision: 'approve', csrf: csrfOf(page) });
    expect(res.status).toBe(303);
    const target = new URL(res.location ?? '');
    expect(`${target.origin}${target.pathname}`).toBe(stack.service.redirectUri);
    expect(target.searchParams.get('consent_request')).toBe(created.id);
    expect(target.searchParams.get('status')).toBe('approved');
    expect(target.searchParams.get('state')).toBe('etat-123');
    expect(await requestStatus(created.id)).toBe('approved');
  });

  it('denies: 303 with status=denied and no consent', async () => {
    const created = await stack.createRequest({ state: 'refus' });
    const { jar, page } = await loginAt(created.consentUrl);
    const res = await decide(jar, created.id, { decision: 'deny', csrf: csrfOf(page) });
    expect(res.status).toBe(303);
    const target = new URL(res.location ?? '');
    expect(target.searchParams.get('status')).toBe('denied');
    expect(target.searchParams.get('state')).toBe('refus');
    const read = await stack.clientGet(`/api/v1/consent-requests/${created.id}`);
    expect(read.body.status).toBe('denied');
    expect(read.body.consentId).toBeUndefined();
  });

  it('refuses a decision without CSRF token, or with another session’s, and changes nothing', async () => {
    const created = await stack.createRequest();
    const { jar } = await loginAt(created.consentUrl);
    const other = await loginAt(`${gw.url}/auth/login?returnTo=/me`, 'angela');
    const otherToken = await jsonCsrf(other.jar);

    for (const form of [
      { decision: 'approve' } as Record<string, string>,
      { decision: 'approve', csrf: '' },
      { decision: 'approve', csrf: otherToken },
      { decision: 'approve', csrf: 'x'.repeat(43) },
    ]) {
      const res = await decide(jar, created.id, form);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(errorCode(res)).toBe('csrf_token_invalid');
      expect(res.body).toContain('rien n’a été modifié');
    }
    // Checked before the body: a tokenless, otherwise invalid form is still a CSRF refusal.
    const bare = await decide(jar, created.id, { decision: 'maybe' });
    expect(bare.status).toBe(403);
    expect(errorCode(bare)).toBe('csrf_token_invalid');
    expect(await requestStatus(created.id)).toBe('pending');
  });

  it('refuses an invalid decision value with a French 400 page', async () => {
    const created = await stack.createRequest();
    const { jar, page } = await loginAt(created.consentUrl);
    const res = await decide(jar, created.id, { decision: 'maybe', csrf: csrfOf(page) });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('validation_failed');
    expect(await requestStatus(created.id)).toBe('pending');
  });

  it('decides once: a second decision is 409 and changes nothing', async () => {
    const created = await stack.createRequest();
    const { jar, page } = await loginAt(created.consentUrl);
    const csrf = csrfOf(page);
    expect((await decide(jar, created.id, { decision: 'deny', csrf })).status).toBe(303);
    const again = await decide(jar, created.id, { decision: 'approve', csrf });
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('consent_request_already_decided');
    expect(again.body).toContain('Demande déjà traitée');
    expect(await requestStatus(created.id)).toBe('denied');
    // The page itself now says so too.
    const view = await request(jar, created.consentUrl);
    expect(view.status).toBe(409);
  });

  it('refuses a decision after expiry with 410', async () => {
    const created = await stack.createRequest();
    const { jar, page } = await loginAt(created.consentUrl);
    const csrf = csrfOf(page);
    // The 15-minute window has passed (moved in the database rather than waited for).
    await gw.prisma.consentRequest.update({
      where: { id: created.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const res = await decide(jar, created.id, { decision: 'approve', csrf });
    expect(res.status).toBe(410);
    expect(errorCode(res)).toBe('consent_request_expired');
    expect(res.body).toContain('Demande expirée');
    expect(await requestStatus(created.id)).toBe('expired');
    expect(await gw.prisma.consent.count({ where: { requestId: created.id } })).toBe(0);
    expect((await request(jar, created.consentUrl)).status).toBe(410);
  });

  it('keeps a request to the citizen who opened it first', async () => {
    const created = await stack.createRequest();
    await loginAt(created.consentUrl, 'angela');
    const { jar: karim, page } = await loginAt(created.consentUrl, 'karim');
    expect(page.status).toBe(403);
    expect(errorCode(page)).toBe('consent_request_other_citizen');
    const csrf = await jsonCsrf(karim);
    const res = await decide(karim, created.id, { decision: 'approve', csrf });
    expect(res.status).toBe(403);
    expect(errorCode(res)).toBe('consent_request_other_citizen');
    const preview = await request(karim, `${created.consentUrl}/preview`);
    expect(preview.status).toBe(403);
    expect(await requestStatus(created.id)).toBe('pending');
  });

  // ------------------------------------------------------------------------------------------
  // The preview
  // ------------------------------------------------------------------------------------------

  it('previews what the providers hold for this citizen, audited with a digest, nothing stored', async () => {
    const created = await stack.createRequest({
      datasets: ['cnaf.quotient_familial', 'mesr.statut_etudiant'],
    });
    const { jar } = await loginAt(created.consentUrl);
    const res = await request(jar, `${created.consentUrl}/preview`);
    expect(res.status).toBe(200);
    expect(res.body).toMatch(
      /data-field="quotient_familial.valeur">Montant du quotient familial<\/dt>\s*<dd[^>]*>1\u202f186\u00a0€<\/dd>/,
    );
    expect(res.body).toContain('14 RUE CLER');
    expect(res.body).toContain('THÉO MARC');
    expect(res.body).toContain('Statut étudiant');

    const events = await gw.prisma.auditEvent.findMany({
      where: {
        kind: 'consent.previewed',
        details: { path: ['consentRequestId'], equals: created.id },
      },
      orderBy: { seq: 'asc' },
    });
    expect(events.map((e) => e.datasetId).sort()).toEqual([
      'cnaf.quotient_familial',
      'mesr.statut_etudiant',
    ]);
    for (const e of events) {
      expect(e.outcome).toBe('success');
      expect(e.payloadDigest).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      expect(e.clientId).toBe(stack.registry.client.clientId);
      expect(JSON.stringify(e.details)).not.toMatch(ANGELA_QUOTIENT);
    }
    // Each provider call was traced before the identity left (`provider.call`), then closed by
    // its dataset's outcome under the same request id; no intent carries the identity.
    const intents = await gw.prisma.auditEvent.findMany({
      where: { kind: 'provider.call', requestId: events[0].requestId },
      orderBy: { seq: 'asc' },
    });
    expect(intents.map((i) => i.datasetId).sort()).toEqual([
      'cnaf.quotient_familial',
      'mesr.statut_etudiant',
    ]);
    for (const intent of intents) {
      const outcome = events.find((e) => e.datasetId === intent.datasetId)!;
      expect(intent.seq < outcome.seq).toBe(true);
      expect(intent).toMatchObject({
        outcome: 'started',
        actor: outcome.actor,
        citizenId: outcome.citizenId,
        requestId: outcome.requestId,
      });
      expect(intent.details).toMatchObject({ consentRequestId: created.id });
      expect(JSON.stringify([intent.details, intent.actor])).not.toMatch(/DUBOIS|ANGELA|THÉO/i);
    }
    expect((await gw.app.get(AuditService).callsWithoutOutcome(1000)).calls).not.toContainEqual(
      expect.objectContaining({ requestId: events[0].requestId }),
    );
    // A preview decides nothing.
    expect(await requestStatus(created.id)).toBe('pending');
  });

  it('no intent, no call: a preview whose call intent cannot be recorded calls no provider', async () => {
    const created = await stack.createRequest({ datasets: ['cnaf.quotient_familial'] });
    const { jar } = await loginAt(created.consentUrl);
    const before = stack.providers.calls('cnaf');
    // A real failure of the audit write, in this test's own database: call intents are refused.
    await gw.prisma.$executeRawUnsafe(`
      CREATE FUNCTION test_refuse_call_intent() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.kind = 'provider.call' THEN RAISE EXCEPTION 'audit storage unavailable (test)'; END IF;
        RETURN NEW;
      END $$`);
    await gw.prisma.$executeRawUnsafe(
      `CREATE TRIGGER test_refuse_call_intent BEFORE INSERT ON audit_event
       FOR EACH ROW EXECUTE FUNCTION test_refuse_call_intent()`,
    );
    let res: BrowserResponse;
    try {
      res = await request(jar, `${created.consentUrl}/preview`);
    } finally {
      await gw.prisma.$executeRawUnsafe('DROP TRIGGER test_refuse_call_intent ON audit_event');
      await gw.prisma.$executeRawUnsafe('DROP FUNCTION test_refuse_call_intent()');
    }
    expect(res.status).toBe(503);
    expect(errorCode(res)).toBe('audit_unavailable');
    expect(res.body).not.toContain('1\u202f186');
    expect(stack.providers.calls('cnaf')).toBe(before);
    const shown = await gw.prisma.auditEvent.count({
      where: {
        kind: 'consent.previewed',
        details: { path: ['consentRequestId'], equals: created.id },
      },
    });
    expect(shown).toBe(0);
  });

  it('shows per-dataset failures inline: unknown citizen, provider down', async () => {
    const created = await stack.createRequest({
      datasets: ['cnaf.quotient_familial', 'dgfip.avis_imposition'],
    });
    // Karim is unknown to the CNAF and known to the DGFiP.
    const { jar } = await loginAt(created.consentUrl, 'karim');
    const res = await request(jar, `${created.consentUrl}/preview`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('data-preview-error="citizen_unknown"');
    expect(res.body).toContain('Cette administration ne vous connaît pas');
    expect(res.body).toContain('Revenu fiscal de référence');

    stack.providers.setMode('cnaf', 'unavailable');
    const down = await request(jar, `${created.consentUrl}/preview`);
    expect(down.status).toBe(200);
    expect(down.body).toContain('data-preview-error="unavailable"');
    expect(down.body).toContain('n’a pas pu être interrogée');
    expect(down.body).toMatch(/data-dataset="dgfip.avis_imposition"[\s\S]*data-preview-data/);

    const refused = await gw.prisma.auditEvent.findFirst({
      where: { kind: 'consent.previewed', outcome: 'refused', datasetId: 'cnaf.quotient_familial' },
    });
    expect(refused?.details).toMatchObject({ code: 'citizen_unknown_to_provider' });
  });

  // ------------------------------------------------------------------------------------------
  // /me and revocation
  // ------------------------------------------------------------------------------------------

  it('lists the citizen’s consents at /me and revokes one with a confirmation', async () => {
    const { jar, consentId } = await approvedConsent();
    const me = await request(jar, `${gw.url}/me`);
    expect(me.status).toBe(200);
    expect(me.body).toContain(`data-consent="${consentId}" data-status="active"`);
    expect(me.body).toContain('Qui a consulté mes données');

    const res = await request(jar, `${gw.url}/me/consents/${consentId}/revoke`, {
      body: new URLSearchParams({ csrf: csrfOf(me) }),
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${gw.url}/me?revoque=${consentId}`);
    const after = await request(jar, res.location ?? '');
    expect(after.body).toContain('data-revoked-notice');
    expect(after.body).toContain(`data-consent="${consentId}" data-status="revoked"`);
    expect((await stack.clientGet(`/api/v1/consents/${consentId}`)).body.status).toBe('revoked');
  });

  it('refuses a revocation without CSRF token', async () => {
    const { jar, consentId } = await approvedConsent();
    const res = await request(jar, `${gw.url}/me/consents/${consentId}/revoke`, {
      body: new URLSearchParams({}),
    });
    expect(res.status).toBe(403);
    expect(errorCode(res)).toBe('csrf_token_invalid');
    expect((await stack.clientGet(`/api/v1/consents/${consentId}`)).body.status).toBe('active');
  });

  it('never lets a citizen revoke another citizen’s consent (HTML and JSON): 404', async () => {
    const { consentId } = await approvedConsent('angela');
    const { jar: karim } = await loginAt(`${gw.url}/auth/login?returnTo=/me`, 'karim');
    const me = await request(karim, `${gw.url}/me`);
    expect(me.body).not.toContain(consentId);

    const html = await request(karim, `${gw.url}/me/consents/${consentId}/revoke`, {
      body: new URLSearchParams({ csrf: await jsonCsrf(karim) }),
    });
    expect(html.status).toBe(404);
    expect(errorCode(html)).toBe('consent_not_found');

    const token = await jsonCsrf(karim);
    const json = await request(karim, `${gw.url}/api/v1/me/consents/${consentId}`, {
      method: 'DELETE',
      headers: { 'x-csrf-token': token },
    });
    expect(json.status).toBe(404);
    expect(json.headers.get('content-type')).toContain(PROBLEM);
    expect(JSON.parse(json.body).code).toBe('consent_not_found');

    const list = JSON.parse((await request(karim, `${gw.url}/api/v1/me/consents`)).body) as {
      items: Array<{ id: string }>;
    };
    expect(list.items.map((c) => c.id)).not.toContain(consentId);
    expect((await stack.clientGet(`/api/v1/consents/${consentId}`)).body.status).toBe('active');
  });

  // ------------------------------------------------------------------------------------------
  // JSON
  // ------------------------------------------------------------------------------------------

  function del(jar: CookieJar, consentId: string, headers: Record<string, string> = {}) {
    return request(jar, `${gw.url}/api/v1/me/consents/${consentId}`, { method: 'DELETE', headers });
  }

  it('lists and revokes over JSON; DELETE needs the X-CSRF-Token of this session', async () => {
    const { jar, consentId } = await approvedConsent();
    const list = await request(jar, `${gw.url}/api/v1/me/consents`);
    expect(list.status).toBe(200);
    const mine = (JSON.parse(list.body) as { items: Array<Record<string, unknown>> }).items.find(
      (c) => c.id === consentId,
    );
    expect(mine).toMatchObject({
      status: 'active',
      fetchMode: 'once',
      client: { name: stack.registry.client.name },
      datasets: [{ id: 'cnaf.quotient_familial', title: 'Quotient familial CAF & MSA' }],
    });

    const other = await loginAt(`${gw.url}/auth/login?returnTo=/me`, 'angela');
    const refusals: BrowserResponse[] = [
      await del(jar, consentId),
      await del(jar, consentId, { 'x-csrf-token': await jsonCsrf(other.jar) }),
      await del(jar, consentId, { 'x-csrf-token': '' }),
    ];
    for (const res of refusals) {
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain(PROBLEM);
      expect(JSON.parse(res.body).code).toBe('csrf_token_invalid');
    }
    // A form field is not the header.
    const formOnly = await request(jar, `${gw.url}/api/v1/me/consents/${consentId}`, {
      method: 'DELETE',
      body: new URLSearchParams({ csrf: await jsonCsrf(jar) }),
    });
    expect(formOnly.status).toBe(403);
    expect((await stack.clientGet(`/api/v1/consents/${consentId}`)).body.status).toBe('active');

    const ok = await del(jar, consentId, { 'x-csrf-token': await jsonCsrf(jar) });
    expect(ok.status).toBe(204);
    expect((await stack.clientGet(`/api/v1/consents/${consentId}`)).body.status).toBe('revoked');
    // Idempotent.
    expect((await del(jar, consentId, { 'x-csrf-token': await jsonCsrf(jar) })).status).toBe(204);
    expect((await del(jar, 'nope', { 'x-csrf-token': await jsonCsrf(jar) })).status).toBe(404);
  });

  it('shows who accessed the citizen’s data, newest first, in /me and /api/v1/me/accesses', async () => {
    const created = await stack.createRequest({ datasets: ['dgfip.avis_imposition'] });
    const { jar } = await loginAt(created.consentUrl, 'camille');
    expect((await request(jar, `${created.consentUrl}/preview`)).status).toBe(200);
    stack.providers.setMode('dgfip', 'unavailable');
    try {
      expect((await request(jar, `${created.consentUrl}/preview`)).status).toBe(200);
    } finally {
      stack.providers.setMode('dgfip', 'normal');
    }

    const api = await request(jar, `${gw.url}/api/v1/me/accesses`);
    expect(api.status).toBe(200);
    const page = JSON.parse(api.body) as {
      items: Array<Record<string, unknown>>;
      nextCursor: string | null;
    };
    expect(page.nextCursor).toBeNull();
    expect(page.items).toHaveLength(2);
    expect(page.items[0]).toMatchObject({
      kind: 'preview',
      serviceName: stack.registry.client.name,
      datasetId: 'dgfip.avis_imposition',
      datasetTitle: 'Avis d’impôt sur le revenu',
      outcome: 'failed',
    });
    expect(page.items[1]).toMatchObject({ kind: 'preview', outcome: 'previewed' });
    expect(String(page.items[1].purpose)).toContain('Calcul du tarif de la restauration scolaire');

    const one = JSON.parse((await request(jar, `${gw.url}/api/v1/me/accesses?limit=1`)).body) as {
      items: Array<{ id: string }>;
      nextCursor: string;
    };
    expect(one.items[0].id).toBe(page.items[0].id);
    const next = JSON.parse(
      (await request(jar, `${gw.url}/api/v1/me/accesses?limit=1&before=${one.nextCursor}`)).body,
    ) as { items: Array<{ id: string }>; nextCursor: string | null };
    expect(next.items[0].id).toBe(page.items[1].id);
    expect(next.nextCursor).toBeNull();
    expect((await request(jar, `${gw.url}/api/v1/me/accesses?before=abc`)).status).toBe(400);

    const me = await request(jar, `${gw.url}/me`);
    expect(me.body).toContain('data-access-log');
    expect(me.body).toContain('Avis d’impôt sur le revenu');
    expect(me.body).toContain('affiché pour vous seul (aperçu)');
    expect(me.body).toMatch(/\d{1,2}(er)? \S+ \d{4} à \d{1,2} h \d{2}/);

    // Someone else sees none of it.
    const { jar: other } = await loginAt(`${gw.url}/auth/login?returnTo=/me`, 'pierre');
    const theirs = JSON.parse((await request(other, `${gw.url}/api/v1/me/accesses`)).body) as {
      items: unknown[];
    };
    expect(theirs.items).toEqual([]);
  });

  it('offers, per access, a proof bundle that verifies offline; one changed byte fails', async () => {
    const { jar, consentId } = await approvedConsent('helene');
    const fetched = await stack.clientGet(
      `/api/v1/consents/${consentId}/data/cnaf.quotient_familial`,
    );
    expect(fetched.status).toBe(200);
    const provenance = fetched.body.provenance as { auditEventId: string; auditLeafHash: string };
    expect(provenance.auditEventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(provenance.auditLeafHash).toMatch(/^[0-9a-f]{64}$/);

    const accesses = JSON.parse((await request(jar, `${gw.url}/api/v1/me/accesses`)).body) as {
      items: Array<{ id: string; proofUrl: string }>;
    };
    const access = accesses.items.find((a) => a.id === provenance.auditEventId)!;
    expect(access.proofUrl).toBe(`/api/v1/me/accesses/${access.id}/proof`);
    const me = await request(jar, `${gw.url}/me`);
    expect(me.body).toContain(`href="${access.proofUrl}" download`);

    const res = await request(jar, `${gw.url}${access.proofUrl}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const bundle = JSON.parse(res.body) as {
      event: { id: string; outcome: string };
      leafIndex: number;
      leafHash: string;
      inclusionProof: { treeSize: number; hashes: string[] };
      checkpoint: { jws: string };
    };
    expect(bundle.event.id).toBe(provenance.auditEventId);
    expect(bundle.leafHash).toBe(provenance.auditLeafHash);

    // A few lines of plain jose and node:crypto: the signature, then the path to the signed root.
    const { payload } = await compactVerify(
      bundle.checkpoint.jws,
      createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`)),
      { algorithms: ['ES256'] },
    );
    const signed = JSON.parse(new TextDecoder().decode(payload)) as {
      tree_size: number;
      root_hash: string;
    };
    expect(signed.tree_size).toBe(bundle.inclusionProof.treeSize);
    const h = (...b: Buffer[]) => createHash('sha256').update(Buffer.concat(b)).digest();
    let [fn, sn, r] = [bundle.leafIndex, signed.tree_size - 1, Buffer.from(bundle.leafHash, 'hex')];
    for (const p of bundle.inclusionProof.hashes.map((x) => Buffer.from(x, 'hex'))) {
      if (fn % 2 === 1 || fn === sn) {
        r = h(Buffer.from([1]), p, r);
        while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >> 1, sn >> 1];
      } else r = h(Buffer.from([1]), r, p);
      [fn, sn] = [fn >> 1, sn >> 1];
    }
    expect(r.toString('hex')).toBe(signed.root_hash);

    // The stand-alone verifier, as a citizen's lawyer would run it.
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-proof-'));
    try {
      const file = join(dir, 'preuve.json');
      writeFileSync(file, res.body);
      // The gateway runs in this process: hand the verifier a copy of its JWKS (spawnSync blocks).
      const jwksFile = join(dir, 'jwks.json');
      writeFileSync(jwksFile, await (await fetch(`${gw.url}/.well-known/jwks.json`)).text());
      const run = (f: string) =>
        spawnSync(process.execPath, ['dist/scripts/verify-proof.js', f, '--jwks', jwksFile], {
          encoding: 'utf8',
        });
      const ok = run(file);
      expect(ok.stdout).toContain(`proof valid: event ${bundle.event.id}`);
      expect(ok.status).toBe(0);
      // One changed byte: in the event (an outcome), in the proof, in the signature.
      const outcomeAt = res.body.indexOf('"outcome":"ok"') + '"outcome":"o'.length;
      const hashAt = res.body.indexOf('"hashes":["') + '"hashes":["'.length;
      const sigAt = res.body.indexOf('"jws":"') + '"jws":"'.length;
      const jwsEnd = res.body.indexOf('"', sigAt) - 2;
      for (const at of [outcomeAt, hashAt, jwsEnd]) {
        const bytes = Buffer.from(res.body);
        bytes[at] = bytes[at] === 0x61 ? 0x62 : 0x61;
        writeFileSync(file, bytes);
        const bad = run(file);
        expect([at, bad.status]).toEqual([at, 2]);
        expect(bad.stdout).toContain('proof INVALID');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Another citizen gets nothing: 404, as for an unknown access.
    const { jar: other } = await loginAt(`${gw.url}/auth/login?returnTo=/me`, 'pierre');
    const theirs = await request(other, `${gw.url}${access.proofUrl}`);
    expect(theirs.status).toBe(404);
    expect(JSON.parse(theirs.body).code).toBe('access_not_found');
  });

  it('pages the access log by 50 at /me, newest first, with each outcome in words', async () => {
    const { jar, consentId } = await approvedConsent('lucas');
    const citizen = await gw.prisma.citizen.findUniqueOrThrow({
      where: { sub: pairwiseSubject('lucas', TEST_FC_CLIENT_ID) },
    });
    // What the exchange writes for a requesting service's fetches (its own kinds and codes).
    const audit = gw.app.get(AuditService);
    // Shaped as the exchange writes them (consented-fetch.service.ts): outcome `ok`, or the
    // refusal / failure code, repeated in details.code.
    const fetch = (kind: string, outcome: string) =>
      audit.record({
        kind,
        actor: `client:${stack.registry.client.clientId}`,
        outcome: outcome === 'ok' ? AuditOutcomes.served : errorOutcome(outcome),
        clientId: stack.registry.client.clientId,
        citizenId: citizen.id,
        consentId,
        datasetId: 'cnaf.quotient_familial',
        httpStatus: outcome === 'ok' ? 200 : 403,
        details: outcome === 'ok' ? { purpose: 'x' } : { code: outcome, purpose: 'x' },
      });
    await fetch('exchange.fetch_failed', 'provider_timeout');
    for (let i = 0; i < 49; i++) await fetch('exchange.fetch', 'ok');
    await fetch('exchange.fetch_refused', 'consent_revoked');

    const first = await request(jar, `${gw.url}/me`);
    const rows = (body: string) => [
      ...body.matchAll(/<tr data-access="[^"]+" data-outcome="([a-z]+)">/g),
    ];
    expect(rows(first.body)).toHaveLength(50);
    expect(rows(first.body)[0][1]).toBe('refused');
    expect(first.body).toContain('refusé : consentement révoqué');
    expect(first.body).toContain('transmis');
    expect(first.body).toContain('Calcul du tarif de la restauration scolaire');
    const older = /href="(\/me\?avant=\d+#consultations)"/.exec(first.body)?.[1];
    expect(older).toBeDefined();

    const second = await request(jar, `${gw.url}${older}`);
    expect(rows(second.body)).toHaveLength(1);
    expect(rows(second.body)[0][1]).toBe('failed');
    expect(second.body).toContain('échec : administration indisponible');
    expect(second.body).toContain('href="/me#consultations"');
    expect(second.body).not.toContain('avant=');
  });

  it('documents /api/v1/me/* with the citizen cookie scheme and keeps the pages out of the API document', async () => {
    const doc = (await (await fetch(`${gw.url}/docs-json`)).json()) as {
      paths: Record<
        string,
        Record<string, { security?: unknown[]; parameters?: Array<{ name: string }> }>
      >;
    };
    expect(doc.paths['/api/v1/me/consents'].get.security).toEqual([{ citizen: [] }]);
    const del = doc.paths['/api/v1/me/consents/{consentId}'].delete;
    expect(del.security).toEqual([{ citizen: [] }]);
    expect(del.parameters?.map((p) => p.name)).toContain('X-CSRF-Token');
    expect(doc.paths['/api/v1/me/accesses']).toBeDefined();
    expect(doc.paths['/api/v1/me/csrf']).toBeDefined();
    expect(
      Object.keys(doc.paths).filter((p) => p.startsWith('/consent/') || p.startsWith('/me')),
    ).toEqual([]);
  });
});
