/**
 * Applies prisma/migrations/<name>/migration.sql at start, keeping Prisma's own bookkeeping
 * table `_prisma_migrations` exactly as `prisma migrate deploy` does (same DDL, sha256 checksum
 * of the file, timestamps, applied_steps_count, advisory lock), so either tool can take over.
 * Prisma's CLI needs a native schema engine it downloads from Prisma's own host at install time,
 * which a machine that reaches only the npm registry cannot fetch; hence this.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The smallest surface shared by a pg client and PGlite. */
export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(script: string): Promise<void>;
}

/** Prisma's advisory lock key (prisma-engines: `pg_advisory_lock(72707369)`). */
const PRISMA_ADVISORY_LOCK = 72707369;

const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new MigrationError(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Returns the names of the migrations applied by this call (empty when up to date). */
export async function migrate(db: SqlSession, dir: string): Promise<string[]> {
  const migrations = readMigrations(dir);
  await db.query(`SELECT 1 AS locked FROM pg_advisory_lock(${PRISMA_ADVISORY_LOCK})`);
  try {
    // CREATE … IF NOT EXISTS still needs the right to create: a runtime role without it (issue
    // 11) only reads the table once the owner made it.
    const { rows: table } = await db.query<{ t: string | null }>(
      `SELECT to_regclass('"_prisma_migrations"')::text AS t`,
    );
    if (!table[0]?.t) await db.exec(MIGRATIONS_TABLE_DDL);
    const { rows } = await db.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
    );
    // As Prisma's P3009: never go on past a migration that started and did not finish.
    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        `migration ${failed.migration_name} failed earlier; fix the database, then mark it rolled back`,
      );
    }
    const applied = new Map(
      rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]),
    );
    const done: string[] = [];
    for (const m of migrations) {
      const previous = applied.get(m.name);
      if (previous) {
        if (previous.checksum !== m.checksum) {
          // Prisma only warns here; an edited, already-applied migration is worth knowing about.
          process.emitWarning(`migration ${m.name} was edited after it was applied`);
        }
        continue;
      }
      const id = randomUUID();
      await db.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        [id, m.checksum, m.name],
      );
      try {
        await db.exec(`BEGIN;\n${m.sql}\n;COMMIT;`);
      } catch (err) {
        await db.exec('ROLLBACK').catch(() => undefined);
        const reason = err instanceof Error ? err.message : String(err);
        await db.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, reason]);
        throw new MigrationError(`migration ${m.name} failed: ${reason}`);
      }
      await db.query(
        'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
        [id],
      );
      done.push(m.name);
    }
    return done;
  } finally {
    await db.query(`SELECT 1 AS unlocked FROM pg_advisory_unlock(${PRISMA_ADVISORY_LOCK})`);
  }
}
