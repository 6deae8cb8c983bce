/**
 * The audit log's tamper evidence, against the real database: rows are changed the way only a
 * superuser could (triggers bypassed), and the verifier must name the exact row.
 */
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
      await audit.record({ kind: 'test.event', actor: 'system', outcome: 'ok', details: { i, note: `é${i}` } });
    }
    return gw.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' }, select: { seq: true, id: true } });
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
    expect(result.broken).toEqual({ seq: rows[3].seq.toString(), id: rows[3].id, reason: 'hash_mismatch' });
  });

  it('names the row after a deleted one', async () => {
    const rows = await seed(6);
    await asSuperuser(`DELETE FROM audit_event WHERE seq = ${rows[2].seq}`);
    const result = await audit.verify();
    expect(result.broken).toEqual({ seq: rows[3].seq.toString(), id: rows[3].id, reason: 'prev_hash_mismatch' });
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
    expect(result.broken).toMatchObject({ seq: a.toString(), id: rows[3].id, reason: 'prev_hash_mismatch' });
  });

  it('keeps one linear chain under hundreds of concurrent writers (no gap, no fork)', async () => {
    const n = 400;
    const ids = await Promise.all(
      Array.from({ length: n }, (_, i) => audit.record({ kind: 'load.event', actor: `client:${i % 7}`, outcome: 'ok' })),
    );
    expect(new Set(ids).size).toBe(n);
    const all = await gw.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' }, select: { prevHash: true, hash: true } });
    expect(all).toHaveLength(n);
    expect(new Set(all.map((r) => r.prevHash)).size).toBe(n); // a fork would repeat a prevHash
    await expect(audit.verify()).resolves.toEqual({ ok: true, checked: n });
  });
});
