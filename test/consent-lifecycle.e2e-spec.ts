/**
 * The consent rules behind the citizen pages and the exchange, end to end on a real gateway and
 * database: the one-time decision (twice, after expiry, by another citizen, after the
 * habilitation was revoked), the citizen's list and revocation, crypto-shredding, the lifecycle
 * job, and the fetch budget (reserveFetch) including concurrent reservations.
 *
 * Over ~350 lines on purpose: one file is one stack (gateway and database) started once
 * for all its cases; split, each part would start its own.
 */
import { randomUUID } from 'node:crypto';
import { decrypt } from '../src/common/crypto.js';
import { ConsentLifecycleService } from '../src/consent/consent-lifecycle.service.js';
import { CONSENT_SERVICE } from '../src/consent/consent.contract.js';
import { ConsentService } from '../src/consent/consent.service.js';
import { openSealedIdentity } from '../src/consent/identity-sealing.js';
import { ApiError } from '../src/common/problem.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import {
  approvedConsent,
  clientGet,
  consentClient,
  CONSENTS,
  CONSENT_REQUESTS,
  createCitizen,
  decideAs,
  pendingRequest,
  seedConsentCatalog,
  TEST_IDENTITY,
  type ConsentClient,
} from './support/consent.js';
import { ADMIN, operatorApi } from './support/operator.js';

const QF = 'cnaf.quotient_familial';
const DGFIP = 'dgfip.avis_imposition';

/** The stable code of a rejected ApiError (fails the test on anything else). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiError) return `${err.getStatus()} ${err.code}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** The consent's row and its budget, as the exchange reads them (in one query on its hot path). */
async function storedConsent(gw: TestGateway, consentId: string) {
  const row = await gw.prisma.consent.findUniqueOrThrow({
    where: { id: consentId },
    include: { budget: true },
  });
  const lastFetches = (row.budget?.lastFetches ?? {}) as Record<string, string>;
  return { ...row, fetchCount: row.budget?.fetchCount, lastFetches };
}

/** Whether the consent's identity still opens, with what the gateway holds (the exchange's way). */
async function identityOpens(gw: TestGateway, consentId: string): Promise<boolean> {
  try {
    openSealedIdentity(gw.config.masterKey, consentId, await storedConsent(gw, consentId));
    return true;
  } catch {
    return false;
  }
}

describe('consent lifecycle (service rules)', () => {
  let gw: TestGateway;
  let consents: ConsentService;
  let lifecycle: ConsentLifecycleService;
  let a: ConsentClient;
  let periodic: ConsentClient;

  beforeAll(async () => {
    gw = await startGateway();
    consents = gw.app.get(ConsentService);
    lifecycle = gw.app.get(ConsentLifecycleService);
    await seedConsentCatalog(gw);
    a = await consentClient(gw, { datasets: [QF, DGFIP] });
    periodic = await consentClient(gw, {
      datasets: [QF],
      allowPeriodic: true,
      minFetchIntervalSeconds: 3600,
    });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('is registered under CONSENT_SERVICE too', () => {
    expect(gw.app.get(CONSENT_SERVICE)).toBe(consents);
  });

  describe('the citizen sees the request', () => {
    it('shows who asks, why, on which legal basis, which data, until when; binds the request; audits consent.shown', async () => {
      const req = await pendingRequest(gw, a, { datasets: [QF, DGFIP], durationDays: 10 });
      const citizen = await createCitizen(gw);
      const view = await consents.viewRequestForCitizen(req.id, citizen.id, 'req-123');
      expect(view).toMatchObject({
        id: req.id,
        status: 'pending',
        client: {
          clientId: a.client.clientId,
          name: 'Ville de Démo — restauration scolaire',
          siret: '21690123100011',
        },
        purpose: 'Calcul du tarif de la cantine scolaire',
        legalBasis: 'Article L. 114-8 du code des relations entre le public et l’administration',
        legalBasisUrl: 'https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367412',
        durationDays: 10,
        fetchMode: 'once',
        citizenId: citizen.id,
      });
      expect(view.datasets.map((d) => [d.id, d.provider.id])).toEqual([
        [QF, 'cnaf'],
        [DGFIP, 'dgfip'],
      ]);
      expect(view.datasets[0].title).toBeTruthy();
      expect(Object.keys(view.datasets[0].fields).length).toBeGreaterThan(0);
      const days = (view.validUntil.getTime() - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(9.99);
      expect(days).toBeLessThanOrEqual(10);
      const shown = await gw.prisma.auditEvent.findFirst({
        where: { kind: 'consent.shown', citizenId: citizen.id },
      });
      expect(shown).toMatchObject({
        clientId: a.client.clientId,
        requestId: 'req-123',
        actor: `citizen:${citizen.id}`,
      });
    });

    it('another citizen can neither view nor decide a request bound to someone else', async () => {
      const req = await pendingRequest(gw, a);
      const owner = await createCitizen(gw);
      const intruder = await createCitizen(gw);
      await consents.viewRequestForCitizen(req.id, owner.id);
      expect(await codeOf(consents.viewRequestForCitizen(req.id, intruder.id))).toBe(
        '403 consent_request_other_citizen',
      );
      expect(await codeOf(decideAs(gw, req.id, intruder.id, 'approve'))).toBe(
        '403 consent_request_other_citizen',
      );
      expect(await codeOf(decideAs(gw, req.id, intruder.id, 'deny'))).toBe(
        '403 consent_request_other_citizen',
      );
      const row = await gw.prisma.consentRequest.findUniqueOrThrow({ where: { id: req.id } });
      expect(row).toMatchObject({ status: 'pending', citizenId: owner.id });
      // The owner still decides.
      await decideAs(gw, req.id, owner.id, 'approve');
    });

    it('unknown and malformed ids are not found', async () => {
      const citizen = await createCitizen(gw);
      for (const id of [randomUUID(), 'nope', "'; DROP TABLE consent; --"]) {
        expect(await codeOf(consents.viewRequestForCitizen(id, citizen.id))).toBe(
          '404 consent_request_not_found',
        );
        expect(await codeOf(decideAs(gw, id, citizen.id, 'approve'))).toBe(
          '404 consent_request_not_found',
        );
      }
    });
  });

  describe('the decision is taken once', () => {
    it('a second decision is refused and changes nothing', async () => {
      const { requestId, consentId, citizenId } = await approvedConsent(gw, a);
      const before = await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
      expect(await codeOf(decideAs(gw, requestId, citizenId, 'approve'))).toBe(
        '409 consent_request_already_decided',
      );
      expect(await codeOf(decideAs(gw, requestId, citizenId, 'deny'))).toBe(
        '409 consent_request_already_decided',
      );
      expect(await gw.prisma.consent.count({ where: { requestId } })).toBe(1);
      expect(await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } })).toEqual(
        before,
      );
      expect(
        (await gw.prisma.consentRequest.findUniqueOrThrow({ where: { id: requestId } })).status,
      ).toBe('approved');
    });

    it('two concurrent approvals make exactly one consent', async () => {
      const req = await pendingRequest(gw, a);
      const citizen = await createCitizen(gw);
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => decideAs(gw, req.id, citizen.id, 'approve')),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await gw.prisma.consent.count({ where: { requestId: req.id } })).toBe(1);
    });

    it('a decision after expiry is refused, nothing created', async () => {
      const req = await pendingRequest(gw, a);
      const citizen = await createCitizen(gw);
      await consents.viewRequestForCitizen(req.id, citizen.id);
      await gw.prisma.consentRequest.update({
        where: { id: req.id },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });
      expect(await codeOf(decideAs(gw, req.id, citizen.id, 'approve'))).toBe(
        '410 consent_request_expired',
      );
      expect(await codeOf(decideAs(gw, req.id, citizen.id, 'deny'))).toBe(
        '410 consent_request_expired',
      );
      expect(await gw.prisma.consent.count({ where: { requestId: req.id } })).toBe(0);
      expect(
        (await gw.prisma.consentRequest.findUniqueOrThrow({ where: { id: req.id } })).status,
      ).toBe('expired');
      expect((await consents.viewRequestForCitizen(req.id, citizen.id)).status).toBe('expired');
    });

    it('approval is refused once the habilitation is revoked (refusal stays possible)', async () => {
      const c = await consentClient(gw, { datasets: [QF] });
      const req = await pendingRequest(gw, c);
      const citizen = await createCitizen(gw);
      await operatorApi(gw).patch(`${ADMIN}/habilitations/${c.habilitationId}`, {
        status: 'revoked',
      });
      expect(await codeOf(decideAs(gw, req.id, citizen.id, 'approve'))).toBe(
        '409 habilitation_no_longer_active',
      );
      expect(await gw.prisma.consent.count({ where: { requestId: req.id } })).toBe(0);
      const denied = await decideAs(gw, req.id, citizen.id, 'deny');
      expect(new URL(denied.redirectUrl).searchParams.get('status')).toBe('denied');
    });
  });

  describe('the citizen’s consents', () => {
    it('lists only the citizen’s own consents, with their status', async () => {
      const one = await approvedConsent(gw, a, { datasets: [QF, DGFIP] });
      const someoneElse = await approvedConsent(gw, a);
      const list = await consents.listForCitizen(one.citizenId);
      expect(list.map((c) => c.id)).toEqual([one.consentId]);
      expect(list[0]).toMatchObject({
        client: { name: 'Ville de Démo — restauration scolaire', siret: '21690123100011' },
        status: 'active',
        fetchMode: 'once',
        fetchCount: 0,
        revokedAt: null,
      });
      expect(list[0].datasets.map((d) => d.id)).toEqual([QF, DGFIP]);
      expect(list[0].datasets[0].providerName).toBeTruthy();
      expect((await consents.listForCitizen(someoneElse.citizenId)).map((c) => c.id)).toEqual([
        someoneElse.consentId,
      ]);
      expect(await consents.listForCitizen('not-a-uuid')).toEqual([]);
    });

    it('revocation by another citizen is "not found" and changes nothing', async () => {
      const { consentId } = await approvedConsent(gw, a);
      const intruder = await createCitizen(gw);
      expect(await codeOf(consents.revokeByCitizen(consentId, intruder.id))).toBe(
        '404 consent_not_found',
      );
      expect(await codeOf(consents.revokeByCitizen(randomUUID(), intruder.id))).toBe(
        '404 consent_not_found',
      );
      expect(await codeOf(consents.revokeByCitizen('garbage', intruder.id))).toBe(
        '404 consent_not_found',
      );
      const row = await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
      expect(row.status).toBe('active');
      expect(row.wrappedKey).not.toBeNull();
    });

    it('revocation: immediate, shreds the key, audited, idempotent', async () => {
      const { consentId, citizenId, requestId } = await approvedConsent(gw, a);
      await consents.revokeByCitizen(consentId, citizenId, 'req-revoke');

      const res = await clientGet(gw, a.token, `${CONSENTS}/${consentId}`);
      expect(res.body.status).toBe('revoked');
      expect((await clientGet(gw, a.token, `${CONSENT_REQUESTS}/${requestId}`)).body.status).toBe(
        'approved',
      );
      expect(await consents.reserveFetch(consentId, QF, 0)).toBe(false);
      expect(await identityOpens(gw, consentId)).toBe(false);
      const list = await consents.listForCitizen(citizenId);
      expect(list[0]).toMatchObject({ status: 'revoked', revokedAt: expect.any(Date) });

      await consents.revokeByCitizen(consentId, citizenId); // again: no error, nothing new
      const audits = await gw.prisma.auditEvent.findMany({
        where: { kind: 'consent.revoked', consentId },
      });
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({
        citizenId,
        clientId: a.client.clientId,
        requestId: 'req-revoke',
      });
    });
  });

  describe('crypto-shredding of the identity', () => {
    it('the identity opens with the consent’s key, and never again once the key is destroyed', async () => {
      const { consentId, citizenId } = await approvedConsent(gw, a);
      expect(await identityOpens(gw, consentId)).toBe(true);
      const identity = openSealedIdentity(
        gw.config.masterKey,
        consentId,
        await storedConsent(gw, consentId),
      );
      const { email: _email, ...pivot } = TEST_IDENTITY;
      expect(identity).toEqual(pivot); // the six pivot claims only: email is not kept

      const sealed = await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
      // Nothing of the identity in clear in the row.
      expect(JSON.stringify(sealed)).not.toMatch(/MARTIN|Camille|1990-04-12|75056/);
      const ciphertext = sealed.identityCiphertext!;
      const wrappedKey = sealed.wrappedKey!;
      // Proof the ciphertext is what we think: with the wrapped key it opens.
      const dataKey = decrypt(gw.config.masterKey, wrappedKey, `consent-key:${consentId}`);
      expect(
        JSON.parse(decrypt(dataKey, ciphertext, `consent:${consentId}`).toString('utf8')),
      ).toEqual(pivot);

      await consents.revokeByCitizen(consentId, citizenId);
      const after = await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
      expect(after.wrappedKey).toBeNull();
      expect(after.identityCiphertext).toBe(ciphertext); // kept, and useless
      // Everything the database and the gateway still hold does not open it: the master key
      // directly, the master key with either context, or the service.
      for (const context of [`consent:${consentId}`, `consent-key:${consentId}`, '']) {
        expect(() => decrypt(gw.config.masterKey, after.identityCiphertext!, context)).toThrow();
      }
      expect(await identityOpens(gw, consentId)).toBe(false);
      // A wrapped key copied from another consent does not open it either (AAD binds the id).
      const other = await approvedConsent(gw, a);
      const otherRow = await gw.prisma.consent.findUniqueOrThrow({
        where: { id: other.consentId },
      });
      expect(() =>
        decrypt(gw.config.masterKey, otherRow.wrappedKey!, `consent-key:${consentId}`),
      ).toThrow();
      await gw.prisma.consent.update({
        where: { id: consentId },
        data: { wrappedKey: otherRow.wrappedKey, status: 'active' },
      });
      expect(await identityOpens(gw, consentId)).toBe(false);
      await gw.prisma.consent.update({
        where: { id: consentId },
        data: { wrappedKey: null, status: 'revoked' },
      });
    });
  });

  describe('lifecycle job', () => {
    it('expires due requests and consents once, shreds keys, audits and announces each consent', async () => {
      const due = await approvedConsent(gw, a);
      const notDue = await approvedConsent(gw, a);
      const pending = await pendingRequest(gw, a);
      const past = new Date(Date.now() - 60_000);
      await gw.prisma.consent.update({ where: { id: due.consentId }, data: { expiresAt: past } });
      await gw.prisma.consentRequest.update({
        where: { id: pending.id },
        data: { expiresAt: past },
      });

      const first = await lifecycle.tick();
      expect(first.consents).toBeGreaterThanOrEqual(1);
      expect(first.requests).toBeGreaterThanOrEqual(1);

      const row = await gw.prisma.consent.findUniqueOrThrow({ where: { id: due.consentId } });
      expect(row).toMatchObject({ status: 'expired', wrappedKey: null });
      expect(
        (await gw.prisma.consent.findUniqueOrThrow({ where: { id: notDue.consentId } })).status,
      ).toBe('active');
      expect(
        (await gw.prisma.consentRequest.findUniqueOrThrow({ where: { id: pending.id } })).status,
      ).toBe('expired');
      const audits = await gw.prisma.auditEvent.findMany({
        where: { kind: 'consent.expired', consentId: due.consentId },
      });
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({
        actor: 'gateway',
        clientId: a.client.clientId,
        citizenId: due.citizenId,
      });

      // Idempotent: nothing left to do, nothing audited twice.
      expect(await lifecycle.tick()).toEqual({ requests: 0, consents: 0 });
      expect(
        await gw.prisma.auditEvent.count({
          where: { kind: 'consent.expired', consentId: due.consentId },
        }),
      ).toBe(1);
      expect((await clientGet(gw, a.token, `${CONSENTS}/${due.consentId}`)).body.status).toBe(
        'expired',
      );
    });

    it('two instances ticking at once expire each consent once', async () => {
      const rows = await Promise.all([
        approvedConsent(gw, a),
        approvedConsent(gw, a),
        approvedConsent(gw, a),
      ]);
      await gw.prisma.consent.updateMany({
        where: { id: { in: rows.map((r) => r.consentId) } },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });
      // Two "instances": the job and the read-time path racing on the same rows.
      const [tick, ...reads] = await Promise.all([
        lifecycle.tick(),
        ...rows.map((r) => lifecycle.expireConsent(r.consentId)),
      ]);
      expect(tick.consents + reads.filter(Boolean).length).toBe(3);
      for (const r of rows) {
        expect(
          await gw.prisma.auditEvent.count({
            where: { kind: 'consent.expired', consentId: r.consentId },
          }),
        ).toBe(1);
      }
    });
  });

  describe('fetch budget (reserveFetch)', () => {
    it('once: each dataset once; a failed call gives the reservation back', async () => {
      const { consentId } = await approvedConsent(gw, a, { datasets: [QF, DGFIP] });
      expect(await consents.reserveFetch(consentId, QF, 0)).toBe(true);
      expect(await consents.reserveFetch(consentId, QF, 0)).toBe(false);
      expect(await consents.reserveFetch(consentId, DGFIP, 0)).toBe(true);
      expect(await consents.reserveFetch(consentId, 'france_travail.statut', 0)).toBe(false); // not consented
      let row = await storedConsent(gw, consentId);
      expect(row).toMatchObject({
        status: 'active',
        fetchMode: 'once',
        datasets: [QF, DGFIP],
        clientId: a.client.id,
      });
      expect(Object.keys(row!.lastFetches).sort()).toEqual([QF, DGFIP]);
      expect(new Date(row!.lastFetches[QF]).getTime()).not.toBeNaN();
      expect(
        (await gw.prisma.consentBudget.findUniqueOrThrow({ where: { consentId } })).fetchCount,
      ).toBe(2);

      // Only the reservation named by its instant is given back.
      await consents.releaseFetch(consentId, QF, new Date(Date.now() - 60_000));
      row = await storedConsent(gw, consentId);
      expect(Object.keys(row!.lastFetches).sort()).toEqual([QF, DGFIP]);
      await consents.releaseFetch(consentId, QF, new Date(row!.lastFetches[QF]));
      row = await storedConsent(gw, consentId);
      expect(Object.keys(row!.lastFetches)).toEqual([DGFIP]);
      expect(await consents.reserveFetch(consentId, QF, 0)).toBe(true);
      expect(await consents.reserveFetch(consentId, QF, 0)).toBe(false);
      expect((await clientGet(gw, a.token, `${CONSENTS}/${consentId}`)).body.fetchCount).toBe(2);
    });

    it('periodic: again only once the minimum interval has passed', async () => {
      const { consentId } = await approvedConsent(gw, periodic, { fetchMode: 'periodic' });
      const t0 = new Date();
      expect(await consents.reserveFetch(consentId, QF, 3600, t0)).toBe(true);
      expect(
        await consents.reserveFetch(consentId, QF, 3600, new Date(t0.getTime() + 10 * 60_000)),
      ).toBe(false);
      expect(
        await consents.reserveFetch(consentId, QF, 3600, new Date(t0.getTime() + 3600_000)),
      ).toBe(true);
      expect(
        await consents.reserveFetch(consentId, QF, 3600, new Date(t0.getTime() + 3600_000 + 1)),
      ).toBe(false);
      expect(
        await consents.reserveFetch(consentId, QF, 0, new Date(t0.getTime() + 3600_000 + 2)),
      ).toBe(true);
      expect(
        (await gw.prisma.consentBudget.findUniqueOrThrow({ where: { consentId } })).fetchCount,
      ).toBe(3);
    });

    it('periodic: a late failure gives back its own reservation only, never a newer one', async () => {
      const { consentId } = await approvedConsent(gw, periodic, { fetchMode: 'periodic' });
      const t0 = new Date();
      const t1 = new Date(t0.getTime() + 3600_000);
      expect(await consents.reserveFetch(consentId, QF, 3600, t0)).toBe(true);
      expect(await consents.reserveFetch(consentId, QF, 3600, t1)).toBe(true);
      // The fetch reserved at t0 fails late: the newer reservation (t1) stays.
      await consents.releaseFetch(consentId, QF, t0, null);
      let row = await storedConsent(gw, consentId);
      expect(row!.lastFetches[QF]).toBe(t1.toISOString());
      expect(
        await consents.reserveFetch(consentId, QF, 3600, new Date(t1.getTime() + 60_000)),
      ).toBe(false);
      // The one reserved at t1 fails: the previous fetch (t0) counts again for the interval.
      await consents.releaseFetch(consentId, QF, t1, t0.toISOString());
      row = await storedConsent(gw, consentId);
      expect(row!.lastFetches[QF]).toBe(t0.toISOString());
      expect(
        (await gw.prisma.consentBudget.findUniqueOrThrow({ where: { consentId } })).fetchCount,
      ).toBe(1);
      // Released twice: nothing more is given back.
      await consents.releaseFetch(consentId, QF, t1, t0.toISOString());
      expect(
        (await gw.prisma.consentBudget.findUniqueOrThrow({ where: { consentId } })).fetchCount,
      ).toBe(1);
    });

    it('nothing for an expired, revoked or unknown consent', async () => {
      const expired = await approvedConsent(gw, a);
      await gw.prisma.consent.update({
        where: { id: expired.consentId },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });
      expect(await consents.reserveFetch(expired.consentId, QF, 0)).toBe(false);
      // At a given instant: valid just before the end, not at it.
      const soon = await approvedConsent(gw, a, { durationDays: 1 });
      const end = (await gw.prisma.consent.findUniqueOrThrow({ where: { id: soon.consentId } }))
        .expiresAt;
      expect(await consents.reserveFetch(soon.consentId, QF, 0, end)).toBe(false);
      expect(await consents.reserveFetch(soon.consentId, QF, 0, new Date(end.getTime() - 1))).toBe(
        true,
      );

      const revoked = await approvedConsent(gw, a);
      await consents.revokeByCitizen(revoked.consentId, revoked.citizenId);
      expect(await consents.reserveFetch(revoked.consentId, QF, 0)).toBe(false);
      expect(await consents.reserveFetch(randomUUID(), QF, 0)).toBe(false);
      expect(await consents.reserveFetch('garbage', QF, 0)).toBe(false);
      expect(await consents.reserveFetch(revoked.consentId, "x') OR true --", 0)).toBe(false);
    });

    it('concurrent reservations of a once dataset: exactly one wins', async () => {
      const { consentId } = await approvedConsent(gw, a);
      const results = await Promise.all(
        Array.from({ length: 12 }, () => consents.reserveFetch(consentId, QF, 0)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(
        (await gw.prisma.consentBudget.findUniqueOrThrow({ where: { consentId } })).fetchCount,
      ).toBe(1);
    });
  });
});
