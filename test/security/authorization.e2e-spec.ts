/**
 * Adversarial suite — authorization. Requesting services and citizens reaching for what is not
 * theirs (IDOR), tokens used beyond their scope, and the audit trail such attempts must leave:
 * an authenticated caller's refusal is one `authz.refused` event naming it; unauthenticated
 * noise is only counted in /metrics and summarised once per address and minute.
 */
import { randomUUID } from 'node:crypto';
import {
  CookieJar,
  loginThroughSandbox,
  request as browse,
} from '../../sandbox/franceconnect/browser.js';
import { FETCH_REFUSED_AUDIT_KIND } from '../../src/exchange/consented-fetch.service.js';
import { AuditService } from '../../src/audit/audit.service.js';
import { RefusalAuditService } from '../../src/audit/refusal-audit.service.js';
import { startCitizenStack, type CitizenStack } from '../support/browser.js';
import { clientToken } from '../support/clients.js';
import { ADMIN, seedClient, seedHabilitation } from '../support/operator.js';

const PROBLEM = /^application\/problem\+json/;

function csrfOf(page: { body: string }): string {
  const token = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no csrf field in page:\n${page.body.slice(0, 300)}`);
  return token;
}

/** Polls `read` until it returns `expected` (quiet audit writes land a moment later). */
async function eventually<T>(read: () => Promise<T>, expected: T, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  let value = await read();
  while (value !== expected && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  return value;
}

function errorCode(page: { body: string }): string | undefined {
  return /<code data-error-code>([a-z_]+)<\/code>/.exec(page.body)?.[1];
}

describe('security: authorization', () => {
  let stack: CitizenStack;
  let gw: CitizenStack['gw'];
  /** A second requesting service, habilitated for the same dataset. */
  let other: { clientId: string; token: string };

  beforeAll(async () => {
    stack = await startCitizenStack();
    gw = stack.gw;
    const seeded = await seedClient(gw, { redirectUris: [stack.service.redirectUri] });
    await seedHabilitation(gw, {
      clientId: seeded.clientId,
      datasets: ['cnaf.quotient_familial', 'dgfip.avis_imposition'],
    });
    other = {
      clientId: seeded.clientId,
      token: await clientToken(gw, {
        id: seeded.id,
        clientId: seeded.clientId,
        clientSecret: seeded.clientSecret ?? '',
        authMethod: 'client_secret_basic',
      }),
    };
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function loginAt(url: string, login: string, jar = new CookieJar()) {
    const page = await loginThroughSandbox(url, login, jar, { stopAt: stack.service.origin });
    return { jar, page };
  }

  /** angela approves a request of the seeded client; returns the ids and her browser. */
  async function angelaConsent() {
    const created = await stack.createRequest();
    const { jar, page } = await loginAt(created.consentUrl, 'angela');
    const res = await browse(jar, `${gw.url}/consent/${created.id}/decision`, {
      body: new URLSearchParams({ decision: 'approve', csrf: csrfOf(page) }),
    });
    expect(res.status).toBe(303);
    const consentId = (await stack.clientGet(`/api/v1/consent-requests/${created.id}`)).body
      .consentId as string;
    return { requestId: created.id, consentId, jar };
  }

  const refusals = (reason: string) =>
    gw.prisma.auditEvent.findMany({
      where: { kind: 'authz.refused', details: { path: ['reason'], equals: reason } },
      orderBy: { seq: 'asc' },
    });

  // Authorization refusals are audited without holding the answer back (recordQuietly): a test
  // reading them right after the answer waits, boundedly, until the expected rows have landed.
  const refusalsAtLeast = async (
    reason: string,
    n: number,
    keep: (e: Awaited<ReturnType<typeof refusals>>[number]) => boolean = () => true,
  ) => {
    const read = async () => (await refusals(reason)).filter(keep);
    const until = Date.now() + 5000;
    let rows = await read();
    while (rows.length < n && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
      rows = await read();
    }
    return rows;
  };

  const bearerGet = (token: string, path: string) =>
    fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  describe('requesting services', () => {
    it('another client reads nothing of a consent: the same 404 as an unknown id, and audited', async () => {
      const { requestId, consentId } = await angelaConsent();
      for (const [path, unknown] of [
        [`/api/v1/consent-requests/${requestId}`, `/api/v1/consent-requests/${randomUUID()}`],
        [`/api/v1/consents/${consentId}`, `/api/v1/consents/${randomUUID()}`],
        [
          `/api/v1/consents/${consentId}/data/cnaf.quotient_familial`,
          `/api/v1/consents/${randomUUID()}/data/cnaf.quotient_familial`,
        ],
      ]) {
        const theirs = await bearerGet(other.token, path);
        const none = await bearerGet(other.token, unknown);
        expect(theirs.status).toBe(404);
        expect(theirs.headers.get('content-type')).toMatch(PROBLEM);
        const [a, b] = [await theirs.json(), await none.json()];
        expect({ ...a, requestId: '' }).toEqual({ ...b, requestId: '' });
      }
      const read = await refusalsAtLeast(
        'consent_of_another_client',
        1,
        (e) => e.consentId === consentId,
      );
      expect(read.at(-1)).toMatchObject({
        actor: `client:${other.clientId}`,
        consentId,
        httpStatus: 404,
      });
      const req = await refusalsAtLeast(
        'consent_request_of_another_client',
        1,
        (e) => (e.details as { resourceId?: string }).resourceId === requestId,
      );
      expect(req.at(-1)?.actor).toBe(`client:${other.clientId}`);
      // The fetch path records its own refusal, naming the consent tried.
      const fetchRefused = () =>
        gw.prisma.auditEvent.count({
          where: {
            kind: FETCH_REFUSED_AUDIT_KIND,
            actor: `client:${other.clientId}`,
            details: { path: ['attemptedConsentId'], equals: consentId },
          },
        });
      expect(await eventually(fetchRefused, 1)).toBe(1);
    });

    it('a token narrowed to one scope cannot ask consent for other datasets (403 insufficient_scope)', async () => {
      const narrowed = await clientToken(
        gw,
        {
          id: stack.registry.client.id,
          clientId: stack.registry.client.clientId,
          clientSecret: stack.registry.client.clientSecret ?? '',
          authMethod: 'client_secret_basic',
        },
        'cnaf.quotient_familial',
      );
      const ask = (datasets: string[]) =>
        fetch(`${gw.url}/api/v1/consent-requests`, {
          method: 'POST',
          headers: { authorization: `Bearer ${narrowed}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            datasets,
            purpose: 'Calcul du tarif de la restauration scolaire',
            durationDays: 30,
            redirectUri: stack.service.redirectUri,
          }),
        });
      const refused = await ask(['cnaf.quotient_familial', 'dgfip.avis_imposition']);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(PROBLEM);
      expect(refused.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
      const body = (await refused.json()) as { code: string; datasets: string[] };
      expect(body.code).toBe('insufficient_scope');
      expect(body.datasets).toEqual(['dgfip.avis_imposition']);
      expect((await ask(['cnaf.quotient_familial'])).status).toBe(201);
    });

    it('a client token does not open the operator API', async () => {
      const res = await bearerGet(other.token, `${ADMIN}/clients`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('operator_token_required');
    });
  });

  describe('citizens', () => {
    it('a citizen cannot open, preview or decide a request another citizen opened: 403, audited', async () => {
      const created = await stack.createRequest();
      await loginAt(created.consentUrl, 'angela');
      const { jar: karim, page } = await loginAt(created.consentUrl, 'karim');
      expect(page.status).toBe(403);
      expect(errorCode(page)).toBe('consent_request_other_citizen');
      const csrf = (
        JSON.parse((await browse(karim, `${gw.url}/api/v1/me/csrf`)).body) as { csrfToken: string }
      ).csrfToken;
      const decided = await browse(karim, `${gw.url}/consent/${created.id}/decision`, {
        body: new URLSearchParams({ decision: 'approve', csrf }),
      });
      expect(decided.status).toBe(403);
      expect((await browse(karim, `${created.consentUrl}/preview`)).status).toBe(403);
      expect((await stack.clientGet(`/api/v1/consent-requests/${created.id}`)).body.status).toBe(
        'pending',
      );
      const events = await refusalsAtLeast(
        'consent_request_of_another_citizen',
        3,
        (e) => (e.details as { resourceId?: string }).resourceId === created.id,
      );
      // Opening, deciding, previewing: one event each, all naming karim (not angela).
      expect(events.length).toBeGreaterThanOrEqual(3);
      const actors = new Set(events.map((e) => e.actor));
      expect(actors.size).toBe(1);
      const angela = await gw.prisma.consentRequest.findUniqueOrThrow({
        where: { id: created.id },
      });
      expect([...actors][0]).not.toBe(`citizen:${angela.citizenId}`);
    });

    it('a citizen cannot revoke another citizen’s consent: the same answer as an unknown id, audited', async () => {
      const { consentId } = await angelaConsent();
      const created = await stack.createRequest();
      const { jar: karim, page } = await loginAt(created.consentUrl, 'karim');
      const csrf = csrfOf(page);
      const revoke = (id: string) =>
        browse(karim, `${gw.url}/me/consents/${id}/revoke`, {
          body: new URLSearchParams({ csrf }),
        });
      const theirs = await revoke(consentId);
      const unknown = await revoke(randomUUID());
      expect(theirs.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(errorCode(theirs)).toBe(errorCode(unknown));
      const row = await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
      expect(row.status).toBe('active');
      const events = await refusalsAtLeast(
        'consent_of_another_citizen',
        1,
        (e) => e.consentId === consentId,
      );
      expect(events.at(-1)).toMatchObject({ consentId, httpStatus: 404 });
      expect(events.at(-1)?.actor).not.toBe(`citizen:${row.citizenId}`);
    });

    it('a citizen cannot download another citizen’s proof of access: the same 404 as an unknown id, audited', async () => {
      const { consentId } = await angelaConsent();
      const { citizenId } = await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
      // An access to angela's data, as the exchange records it.
      const eventId = await gw.app.get(AuditService).record({
        kind: 'exchange.fetch',
        actor: `client:${other.clientId}`,
        outcome: 'ok',
        clientId: other.clientId,
        citizenId,
        consentId,
        datasetId: 'cnaf.quotient_familial',
      });
      const created = await stack.createRequest();
      const { jar: karim } = await loginAt(created.consentUrl, 'karim');
      const before = (await refusals('access_of_another_citizen')).length;
      const proof = (id: string) => browse(karim, `${gw.url}/api/v1/me/accesses/${id}/proof`);
      const theirs = await proof(eventId);
      const unknown = await proof(randomUUID());
      const malformed = await proof('not-an-id');
      for (const res of [theirs, unknown, malformed]) {
        expect(res.status).toBe(404);
        expect(JSON.parse(res.body).code).toBe('access_not_found');
      }
      // Only the existing access of another citizen is an authorization refusal.
      const count = async () => (await refusals('access_of_another_citizen')).length;
      expect(await eventually(count, before + 1)).toBe(before + 1);
      const event = (await refusals('access_of_another_citizen')).at(-1);
      expect(event?.actor).toMatch(/^citizen:/);
      expect(event?.actor).not.toBe(`citizen:${citizenId}`);
      expect(event).toMatchObject({ httpStatus: 404 });
      expect(event?.details).toMatchObject({ resource: 'access', resourceId: eventId });
    });

    it('a CSRF failure with a valid session is audited; one without a session is not', async () => {
      const created = await stack.createRequest();
      const { jar } = await loginAt(created.consentUrl, 'lucas');
      const before = (await refusals('csrf_token_invalid')).length;
      const forged = await browse(jar, `${gw.url}/consent/${created.id}/decision`, {
        body: new URLSearchParams({ decision: 'approve', csrf: 'x'.repeat(43) }),
      });
      expect(forged.status).toBe(403);
      expect(errorCode(forged)).toBe('csrf_token_invalid');
      const after = await refusalsAtLeast('csrf_token_invalid', before + 1);
      expect(after.length).toBe(before + 1);
      expect(after.at(-1)?.actor).toMatch(/^citizen:/);
      // No session at all: an anonymous POST is not an authenticated refusal.
      await browse(new CookieJar(), `${gw.url}/api/v1/me/consents/${randomUUID()}/revoke`, {
        body: new URLSearchParams({ csrf: 'x' }),
      });
      expect((await refusals('csrf_token_invalid')).length).toBe(before + 1);
    });
  });

  describe('unauthenticated noise', () => {
    it('is counted in /metrics and summarised in one audit event per address and minute', async () => {
      const refusalsService = gw.app.get(RefusalAuditService);
      refusalsService.flush();
      const summaries = () =>
        gw.prisma.auditEvent.count({ where: { kind: 'auth.refused_summary' } });
      await new Promise((r) => setTimeout(r, 200));
      const auditBefore = await gw.prisma.auditEvent.count();
      const summariesBefore = await summaries();
      for (let i = 0; i < 40; i++) {
        await fetch(`${gw.url}${ADMIN}/providers`, {
          headers: { authorization: `Bearer wrong-operator-token-${i}-0123456789` },
        });
        await fetch(`${gw.url}/api/v1/consents/${randomUUID()}`, {
          headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
        });
      }
      // 80 refusals, not one audit row yet: the summary waits for the end of the minute.
      expect(await gw.prisma.auditEvent.count()).toBe(auditBefore);
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      const count = (reason: string) =>
        Number(
          new RegExp(
            `passerelle_auth_refusals_total\\{kind="unauthenticated",reason="${reason}"\\} (\\d+)`,
          ).exec(metrics)?.[1] ?? 0,
        );
      expect(count('operator_token_invalid')).toBeGreaterThanOrEqual(40);
      expect(count('access_token_invalid')).toBeGreaterThanOrEqual(40);

      refusalsService.flush();
      expect(await eventually(summaries, summariesBefore + 1)).toBe(summariesBefore + 1);
      const summary = await gw.prisma.auditEvent.findFirstOrThrow({
        where: { kind: 'auth.refused_summary' },
        orderBy: { seq: 'desc' },
      });
      expect(summary.details).toMatchObject({
        count: 80,
        reasons: { operator_token_invalid: 40, access_token_invalid: 40 },
      });
    });
  });
});
