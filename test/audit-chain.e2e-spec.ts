/**
 * The audit log's tamper evidence, against the real database: rows are changed the way only a
 * superuser could (triggers bypassed), and the verifier must name the exact row.
 */
import request from 'supertest';
import { AuditService } from '../src/audit/audit.service.js';
import { GENESIS_HASH } from '../src/audit/audit-chain.js';
import { startGateway, TestGateway } from './support/gateway.js';

describe('audit hash chain', () => {
  let gw: TestGateway;
  let audit: AuditService;

  beforeEach(async () => {
    gw = await startGateway();
    audit = gw.app.get(AuditService);
  });
  afterEach(async () => {
    await gw.close();
  });

  /** As a superuser would: triggers off for this transaction only. */
  async function asSuperuser(...statements: string[]): Promise<void> {
    await gw.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL session_replication_role = replica');
      for (const sql of statements) await tx.$executeRawUnsafe(sql);
    });
  }

  async function seed(n: number): Promise<Array<{ seq: bigint; id: string }>> {
    for (let i = 0; i < n; i++) {
      await audit.record({
        kind: 'test.event',
        actor: 'system',
        outcome: 'ok',
        details: { i, note: `é${i}` },
      });
    }
    return gw.prisma.auditEvent.findMany({
      orderBy: { seq: 'asc' },
      select: { seq: true, id: true },
    });
  }

  it('chains every event to the previous one and verifies', async () => {
    const rows = await seed(5);
    const all = await gw.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(all[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < all.length; i++) expect(all[i].prevHash).toBe(all[i - 1].hash);
    await expect(audit.verify()).resolves.toEqual({ ok: true, checked: rows.length });
  });

  it('names an edited row', async () => {
    const rows = await seed(6);
    await asSuperuser(`UPDATE audit_event SET outcome = 'refused' WHERE seq = ${rows[3].seq}`);
    const result = await audit.verify();
    expect(result.ok).toBe(false);
    expect(result.broken).toEqual({
      seq: rows[3].seq.toString(),
      id: rows[3].id,
      reason: 'hash_mismatch',
    });
  });

  it('names the row after a deleted one', async () => {
    const rows = await seed(6);
    await asSuperuser(`DELETE FROM audit_event WHERE seq = ${rows[2].seq}`);
    const result = await audit.verify();
    expect(result.broken).toEqual({
      seq: rows[3].seq.toString(),
      id: rows[3].id,
      reason: 'prev_hash_mismatch',
    });
  });

  it('names the first of two reordered rows', async () => {
    const rows = await seed(6);
    // Swap the content of rows 2 and 4 (sequence numbers stay), as a reordering would.
    const a = rows[1].seq;
    const b = rows[3].seq;
    await asSuperuser(
      `UPDATE audit_event SET seq = -1 WHERE seq = ${a}`,
      `UPDATE audit_event SET seq = ${a} WHERE seq = ${b}`,
      `UPDATE audit_event SET seq = ${b} WHERE seq = -1`,
    );
    const result = await audit.verify();
    expect(result.broken).toMatchObject({
      seq: a.toString(),
      id: rows[3].id,
      reason: 'prev_hash_mismatch',
    });
  });

  it('keeps one linear chain under hundreds of concurrent writers (no gap, no fork)', async () => {
    const n = 400;
    const ids = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        audit.record({ kind: 'load.event', actor: `client:${i % 7}`, outcome: 'ok' }),
      ),
    );
    expect(new Set(ids).size).toBe(n);
    const all = await gw.prisma.auditEvent.findMany({
      orderBy: { seq: 'asc' },
      select: { prevHash: true, hash: true },
    });
    expect(all).toHaveLength(n);
    expect(new Set(all.map((r) => r.prevHash)).size).toBe(n); // a fork would repeat a prevHash
    await expect(audit.verify()).resolves.toEqual({ ok: true, checked: n });
  });

  describe('operator API', () => {
    const auth = () => ({ Authorization: `Bearer ${gw.config.operatorToken}` });

    it('lists events newest first with filters and keyset pages', async () => {
      await seed(5);
      await audit.record({
        kind: 'consent.approved',
        actor: 'citizen:x',
        outcome: 'ok',
        consentId: '6f1c2b8e-2d7a-4c53-9a53-5b5f3f5d9a10',
      });
      const all = await request(gw.url)
        .get('/api/v1/admin/audit?kind=test.&limit=2')
        .set(auth())
        .expect(200);
      expect(all.body.items).toHaveLength(2);
      expect(all.body.items.every((e: { kind: string }) => e.kind === 'test.event')).toBe(true);
      expect(BigInt(all.body.items[0].seq)).toBeGreaterThan(BigInt(all.body.items[1].seq));
      const next = await request(gw.url)
        .get(`/api/v1/admin/audit?kind=test.&limit=10&before=${all.body.nextBefore}`)
        .set(auth())
        .expect(200);
      expect(next.body.items).toHaveLength(3);
      expect(next.body.nextBefore).toBeNull();
      const byConsent = await request(gw.url)
        .get('/api/v1/admin/audit?consentId=6f1c2b8e-2d7a-4c53-9a53-5b5f3f5d9a10')
        .set(auth())
        .expect(200);
      expect(byConsent.body.items.map((e: { kind: string }) => e.kind)).toEqual([
        'consent.approved',
      ]);
    });

    it('refuses bad filters and missing operator credentials', async () => {
      const bad = await request(gw.url)
        .get("/api/v1/admin/audit?kind=x';drop table audit_event;--")
        .set(auth());
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('kind');
      await request(gw.url).get('/api/v1/admin/audit').expect(401);
      await request(gw.url)
        .post('/api/v1/admin/audit/verify')
        .set('Authorization', 'Bearer not-the-token')
        .expect(401);
    });

    it('verifies over HTTP and names the broken row', async () => {
      const rows = await seed(4);
      const ok = await request(gw.url).post('/api/v1/admin/audit/verify').set(auth()).expect(200);
      expect(ok.body).toMatchObject({ ok: true });
      await asSuperuser(`UPDATE audit_event SET actor = 'someone-else' WHERE seq = ${rows[1].seq}`);
      const broken = await request(gw.url)
        .post('/api/v1/admin/audit/verify')
        .set(auth())
        .expect(200);
      expect(broken.body).toMatchObject({
        ok: false,
        broken: { seq: rows[1].seq.toString(), id: rows[1].id, reason: 'hash_mismatch' },
      });
    });
  });
});
