import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { diffMigrationsToSchema } from '../scripts/schema-engine.js';
import { loadConfig } from '../src/config/app-config.js';
import { readMigrations } from '../src/database/migrator.js';
import { PrismaService } from '../src/database/prisma.service.js';
import { createTestDatabase } from './support/database.js';

const MIGRATIONS = join(process.cwd(), 'prisma', 'migrations');

describe('database: migrations and both engines', () => {
  it('committed migrations produce exactly what schema.prisma describes (no drift)', async () => {
    const { sql, drift } = await diffMigrationsToSchema();
    expect(sql).toBe('');
    expect(drift).toBe(false);
  });

  it('migrates an empty database at start, records Prisma bookkeeping, and a second start is harmless', async () => {
    const db = await createTestDatabase();
    // Embedded mode needs a folder that outlives the first handle.
    const dir = db.url ? db.dataDir : mkdtempSync(join(tmpdir(), 'passerelle-migrate-'));
    const config = loadConfig({ DATA_DIR: dir, DATABASE_URL: db.url });
    const files = readMigrations(MIGRATIONS);
    try {
      for (const round of [1, 2]) {
        const prisma = await PrismaService.open(config, MIGRATIONS);
        try {
          const rows = await prisma.$queryRawUnsafe<
            Array<{
              migration_name: string;
              checksum: string;
              finished_at: Date | null;
              applied_steps_count: number;
            }>
          >(
            'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
          );
          expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
          for (const [i, row] of rows.entries()) {
            expect(row.checksum).toBe(createHash('sha256').update(files[i].sql).digest('hex'));
            expect(row.finished_at).toBeInstanceOf(Date);
            expect(row.applied_steps_count).toBe(1);
          }
          if (round === 1) await prisma.citizen.create({ data: { sub: 'kept-across-restarts' } });
          expect(await prisma.citizen.count()).toBe(1);
        } finally {
          await prisma.close();
        }
      }
    } finally {
      await db.drop();
      if (!db.url) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the audit table refuses UPDATE and DELETE (trigger)', () =>
    withMigratedDatabase(async (prisma) => {
      await prisma.auditEvent.create({
        data: {
          kind: 'test',
          actor: 'system',
          outcome: 'ok',
          prevHash: '0'.repeat(64),
          hash: 'h1',
        },
      });
      await expect(prisma.auditEvent.updateMany({ data: { outcome: 'tampered' } })).rejects.toThrow(
        /append-only/,
      );
      await expect(prisma.auditEvent.deleteMany({})).rejects.toThrow(/append-only/);
      const rows = await prisma.auditEvent.findMany();
      expect(rows).toHaveLength(1);
      expect(rows[0].outcome).toBe('ok');
    }));

  it('the audit table keeps only the indexes its readers use, and still refuses a fork', () =>
    withMigratedDatabase(async (prisma) => {
      const indexes = await prisma.$queryRawUnsafe<Array<{ indexdef: string }>>(
        `SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_event' ORDER BY indexname`,
      );
      // Each for a reader: seq (the chain's order, the appender), id (proofs by event id),
      // prev_hash (one successor per row), citizen / consent (the access logs), kind (the
      // sweep of interrupted calls, the operator's filters). Every index costs each event
      // written; the hash column has none since nothing looks a row up by its hash.
      expect(indexes.map((i) => i.indexdef.replace(/^.* USING btree /, ''))).toEqual([
        '(citizen_id, occurred_at)',
        '(consent_id)',
        '(id)',
        '(kind, occurred_at)',
        '(seq)',
        '(prev_hash)',
      ]);
      const row = { kind: 'test', actor: 'system', outcome: 'ok', prevHash: '0'.repeat(64) };
      await prisma.auditEvent.create({ data: { ...row, hash: 'a'.repeat(64) } });
      // A second successor of the same row: the chain would fork.
      await expect(
        prisma.auditEvent.create({ data: { ...row, hash: 'b'.repeat(64) } }),
      ).rejects.toThrow(/Unique constraint|unique/i);
      expect(await prisma.auditEvent.count()).toBe(1);
    }));

  it('the budget migration keeps what each existing consent has spent', async () => {
    // Consents written before consent_budget existed: their count and last fetches move to it.
    const db = await createTestDatabase();
    const dataDir = db.url ? db.dataDir : mkdtempSync(join(tmpdir(), 'passerelle-budget-'));
    const earlier = mkdtempSync(join(tmpdir(), 'passerelle-migrations-'));
    for (const name of readdirSync(MIGRATIONS)) {
      if (!name.endsWith('_consent_budget'))
        cpSync(join(MIGRATIONS, name), join(earlier, name), { recursive: true });
    }
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: db.url });
    try {
      const before = await PrismaService.open(config, earlier);
      await before.$transaction(async (tx) => {
        // Only the consent rows matter here: their foreign keys are not checked.
        await tx.$executeRawUnsafe(`SET LOCAL session_replication_role = replica`);
        await tx.$executeRawUnsafe(`
          INSERT INTO consent (id, request_id, citizen_id, client_id, habilitation_id, datasets,
            purpose, legal_basis, fetch_mode, fetch_count, last_fetches, valid_from, expires_at,
            receipt)
          SELECT id::uuid, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
            gen_random_uuid(), '{a,b}', 'p', 'l', mode::"FetchMode", n, spent::jsonb, now(),
            now() + interval '1 day', 'r'
          FROM (VALUES
            ('00000000-0000-4000-8000-000000000001', 'once', 1, '{"a": "2026-12-01T10:00:00.000Z"}'),
            ('00000000-0000-4000-8000-000000000002', 'periodic', 0, '{}')
          ) AS v(id, mode, n, spent)`);
      });
      await before.close();
      const after = await PrismaService.open(config, MIGRATIONS);
      try {
        const budgets = await after.consentBudget.findMany({ orderBy: { consentId: 'asc' } });
        expect(budgets).toEqual([
          {
            consentId: '00000000-0000-4000-8000-000000000001',
            fetchCount: 1,
            lastFetches: { a: '2026-12-01T10:00:00.000Z' },
          },
          { consentId: '00000000-0000-4000-8000-000000000002', fetchCount: 0, lastFetches: {} },
        ]);
      } finally {
        await after.close();
      }
    } finally {
      await db.drop();
      rmSync(earlier, { recursive: true, force: true });
      if (!db.url) rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('embedded mode keeps data across a restart of the data folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-pglite-'));
    try {
      const config = loadConfig({ DATA_DIR: dir });
      const first = await PrismaService.open(config, MIGRATIONS);
      await first.citizen.create({ data: { sub: 'persisted-sub' } });
      await first.close();
      await first.close(); // idempotent
      const second = await PrismaService.open(config, MIGRATIONS);
      try {
        expect(await second.citizen.findUnique({ where: { sub: 'persisted-sub' } })).not.toBeNull();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** `fn` on a fresh, migrated database (the server's, or PGlite), closed and dropped after. */
async function withMigratedDatabase(fn: (prisma: PrismaService) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  const prisma = await PrismaService.open(
    loadConfig({ DATA_DIR: db.dataDir, DATABASE_URL: db.url }),
    MIGRATIONS,
  );
  try {
    await fn(prisma);
  } finally {
    await prisma.close();
    await db.drop();
  }
}
