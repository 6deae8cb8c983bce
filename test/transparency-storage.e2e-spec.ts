/**
 * Where the transparency log keeps its leaf hashes: with the leaves (audit_tree_leaf.hash) since
 * migration 20261201180000, as level-0 rows of audit_tree_node before. A tree holding both
 * (leaves appended before the upgrade, then after) must keep answering every proof.
 */
import { AuditChainRepository } from '../src/audit/audit-chain.repository.js';
import { AuditService } from '../src/audit/audit.service.js';
import { eventLeafHash, toLeafEvent } from '../src/audit/audit-leaf.js';
import {
  completedNodes,
  Hash,
  nodeKey,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/audit/merkle.js';
import { TransparencyLogRepository } from '../src/audit/transparency-log.repository.js';
import { TransparencyLogService } from '../src/audit/transparency-log.service.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { startGateway, TestGateway } from './support/gateway.js';

/** The appender's advisory lock (transparency-log.repository.ts): no append runs meanwhile. */
const TREE_LOCK = 0x74726565;

describe('transparency log storage: leaf hashes with the leaves, older trees still proven', () => {
  let gw: TestGateway;
  let audit: AuditService;
  let log: TransparencyLogService;

  beforeAll(async () => {
    gw = await startGateway();
    audit = gw.app.get(AuditService);
    log = gw.app.get(TransparencyLogService);
  });

  afterAll(async () => {
    await gw?.close();
  });

  const count = async (sql: Prisma.Sql) => (await gw.prisma.hotQuery<{ n: number }>(sql)).rows[0].n;

  async function record(from: number, to: number): Promise<string> {
    let id = '';
    for (let i = from; i < to; i++) {
      id = await audit.record({ kind: 'test.tl', actor: 'test', outcome: 'ok', details: { i } });
    }
    return id;
  }

  it('appends without level-0 nodes, and proves leaves stored either way', async () => {
    expect(await log.waitForLeaf(await record(0, 5))).toBe(true);
    // An odd-sized old tree: the first append after it reads the last old leaf's level-0 node.
    if ((await log.treeSize()) % 2 === 0)
      expect(await log.waitForLeaf(await record(5, 6))).toBe(true);
    // The tree as the appender left it before the upgrade: every leaf hash a level-0 node, none
    // on the leaf. Under the appender's lock, past the append-only triggers (as the owner).
    await gw.prisma.hotTransaction(async (tx) => {
      await tx.query(Prisma.sql`SELECT pg_advisory_xact_lock(${TREE_LOCK}::bigint)::text`);
      await tx.query(Prisma.sql`SET LOCAL session_replication_role = replica`);
      await tx.query(Prisma.sql`
        INSERT INTO audit_tree_node (level, idx, hash) SELECT 0, idx, hash FROM audit_tree_leaf`);
      await tx.query(Prisma.sql`UPDATE audit_tree_leaf SET hash = NULL`);
    });
    const before = await count(Prisma.sql`SELECT count(*)::int AS n FROM audit_tree_leaf`);
    expect(before % 2).toBe(1);

    await record(6, 13);
    const size = await log.appendCommitted();
    const rows = await gw.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(size).toBe(rows.length);
    expect(size).toBe(before + 7);

    // New leaves carry their hash; no level-0 node was written for them.
    expect(
      await count(Prisma.sql`SELECT count(*)::int AS n FROM audit_tree_leaf WHERE hash IS NULL`),
    ).toBe(before);
    expect(
      await count(Prisma.sql`SELECT count(*)::int AS n FROM audit_tree_node WHERE level = 0`),
    ).toBe(before);
    const { rows: stored } = await gw.prisma.hotQuery<{ hash: string }>(
      Prisma.sql`SELECT encode(hash, 'hex') AS hash FROM audit_tree_leaf
                  WHERE hash IS NOT NULL ORDER BY idx`,
    );
    const leaves = rows.map((r) => eventLeafHash(toLeafEvent(r as never)));
    expect(stored.map((s) => s.hash)).toEqual(leaves.slice(before).map((l) => l.toString('hex')));

    // Every proof, against roots computed here from the events alone.
    const all = new Map<string, Hash>(
      completedNodes(leaves, 0, () => undefined).map((n) => [nodeKey(n), n.hash]),
    );
    const rootAt = (n: number) => rootHash((ref) => all.get(nodeKey(ref))!, n);
    expect((await log.root(size)).equals(rootAt(size))).toBe(true);
    for (const [i, row] of rows.entries()) {
      const p = await log.inclusion(row.id, size);
      expect(p.leafHash).toBe(leaves[i].toString('hex'));
      const path = p.proof.map((h) => Buffer.from(h, 'hex'));
      expect([i, verifyInclusion(leaves[i], i, size, path, rootAt(size))]).toEqual([i, true]);
    }
    for (let m = 1; m < size; m++) {
      const proof = (await log.consistency(m, size)).map((h) => Buffer.from(h, 'hex'));
      expect([m, verifyConsistency(m, size, proof, rootAt(m), rootAt(size))]).toEqual([m, true]);
    }
    // The citizen's bundle, for an old leaf and a new one.
    for (const row of [rows[1], rows[size - 2]]) {
      const b = await log.bundle(row.id);
      const path = b.inclusionProof.hashes.map((h) => Buffer.from(h, 'hex'));
      const root = Buffer.from(b.checkpoint.rootHash, 'hex');
      expect(
        verifyInclusion(
          Buffer.from(b.leafHash, 'hex'),
          b.leafIndex,
          b.inclusionProof.treeSize,
          path,
          root,
        ),
      ).toBe(true);
    }
  });
  it('reads what a checkpoint decision needs in one statement, as the model reads give it', async () => {
    const tree = gw.app.get(TransparencyLogRepository);
    const byModel = async () => {
      const latest = await log.latestCheckpoint();
      return {
        treeSize: await log.treeSize(),
        checkpointSize: latest ? latest.treeSize : null,
        checkpointAtMs: latest ? Date.parse(latest.issuedAt) : null,
      };
    };
    // The appender runs every second: compare when two readings of the statement agree.
    const agree = async () => {
      for (let i = 0; i < 20; i++) {
        const before = await tree.checkpointState();
        const model = await byModel();
        const after = await tree.checkpointState();
        if (JSON.stringify(before) === JSON.stringify(after)) return { state: after, model };
      }
      throw new Error('the tree kept changing');
    };
    expect(await log.waitForLeaf(await record(100, 103))).toBe(true);
    await log.checkpointIfDue(true);
    const signed = await agree();
    expect(signed.state).toEqual(signed.model);
    expect(signed.state.checkpointSize).toBeGreaterThan(0);
    // Grown since the checkpoint: the sizes differ, as the decision needs them to.
    expect(await log.waitForLeaf(await record(103, 104))).toBe(true);
    const grown = await agree();
    expect(grown.state).toEqual(grown.model);
  });
  /** The leaf hash the tree holds for an event, and the one its stored row gives. */
  async function leafOf(id: string): Promise<{ tree: string; fromRow: string }> {
    const { rows } = await gw.prisma.hotQuery<{ hash: string }>(
      Prisma.sql`SELECT encode(hash, 'hex') AS hash FROM audit_tree_leaf WHERE event_id = ${id}::uuid`,
    );
    const row = await gw.prisma.auditEvent.findUniqueOrThrow({ where: { id } });
    return {
      tree: rows[0].hash,
      fromRow: eventLeafHash(toLeafEvent(row as never)).toString('hex'),
    };
  }

  it('takes the leaf hashes of its own events from the writer, reads back the others’: same leaves', async () => {
    // Another instance's writer on the same database: this instance's appender never saw its
    // events, so it reads them back whole.
    const other = new AuditService(new AuditChainRepository(gw.prisma));
    const event = (i: number) => ({
      kind: 'test.mixed',
      actor: 'client:é',
      outcome: 'ok' as const,
      details: { i, text: 'a"b\\c 😀', nested: { list: [1.5, null, 'x'], big: 1e21 } },
    });
    const ours = await Promise.all([0, 1, 2].map((i) => audit.recordEvent(event(i))));
    const theirs = await Promise.all([3, 4, 5].map((i) => other.record(event(i))));
    const last = await audit.recordEvent(event(6));
    expect(await log.waitForLeaf(last.id)).toBe(true);
    expect(await log.waitForLeaf(theirs[2])).toBe(true);
    for (const { id, leafHash } of [...ours, last]) {
      expect(await leafOf(id)).toEqual({ tree: leafHash, fromRow: leafHash });
      // Taken in: the writer no longer keeps it.
      const { hash } = await gw.prisma.auditEvent.findUniqueOrThrow({ where: { id } });
      expect(audit.writtenLeafHash(hash)).toBeUndefined();
    }
    for (const id of theirs) {
      const leaf = await leafOf(id);
      expect(leaf.tree).toBe(leaf.fromRow);
    }
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  // Last: it leaves the log altered on purpose. The writer's insert must go on while another
  // connection holds the appender's lock: the embedded database holds every query during a
  // transaction, so this one needs PostgreSQL (skipped, visibly, without DATABASE_URL).
  (process.env.DATABASE_URL ? it : it.skip)(
    `commits to the event as written even if its row is altered before the append; the chain shows it${process.env.DATABASE_URL ? '' : ' (skipped: needs DATABASE_URL)'}`,
    async () => {
      let written!: { id: string; leafHash: string };
      // The appender waits on its lock while the row is rewritten past the append-only trigger.
      await gw.prisma.hotTransaction(async (tx) => {
        await tx.query(Prisma.sql`SELECT pg_advisory_xact_lock(${TREE_LOCK}::bigint)::text`);
        written = await audit.recordEvent({
          kind: 'test.altered',
          actor: 'client:x',
          outcome: 'ok',
          details: { amount: 100 },
        });
        await tx.query(Prisma.sql`SET LOCAL session_replication_role = replica`);
        await tx.query(
          Prisma.sql`UPDATE audit_event SET details = '{"amount": 1}' WHERE id = ${written.id}::uuid`,
        );
      });
      expect(await log.waitForLeaf(written.id)).toBe(true);
      const leaf = await leafOf(written.id);
      // The tree holds the leaf of what was written (and named in the fetch's provenance), so a
      // proof checked against the altered row fails, as the chain's verification does.
      expect(leaf.tree).toBe(written.leafHash);
      expect(leaf.fromRow).not.toBe(written.leafHash);
      expect(await audit.verify()).toMatchObject({
        ok: false,
        broken: { reason: 'hash_mismatch' },
      });
    },
  );
});
