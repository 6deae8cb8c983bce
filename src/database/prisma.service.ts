import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client, Pool } from 'pg';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';
import { ConfigError, type AppConfig } from '../config/index.js';
import { migrate, SqlSession } from './migrator.js';
import { grantRuntimeRole, roleOf, runtimeRoleProblems } from './roles.js';

export interface HotQueryOptions {
  /** See PrismaService.hotQuery. */
  preparedAs?: string;
}

/** The statements of one PrismaService.hotTransaction, on its connection. */
export interface HotSession {
  query<T = Record<string, unknown>>(
    query: Prisma.Sql,
    options?: HotQueryOptions,
  ): Promise<HotQueryResult<T>>;
}

export interface HotQueryResult<T> {
  rows: T[];
  rowCount: number;
  /** The columns as the server describes them (name, type OID): what typed-row tests check. */
  fields: Array<{ name: string; dataTypeID: number }>;
}

/**
 * The one database handle. PostgreSQL through adapter-pg when DATABASE_URL is set, otherwise
 * an embedded PostgreSQL (PGlite) persisted under the data folder. Same schema, same queries.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);
  private closed = false;

  private constructor(
    adapter: PrismaPg | PrismaPGlite,
    private readonly pool?: Pool,
    private readonly pglite?: PGlite,
  ) {
    super({ adapter });
  }

  static async open(config: AppConfig, migrationsDir: string): Promise<PrismaService> {
    if (config.databaseUrl) {
      const pool = new Pool({ connectionString: config.databaseUrl, max: 20 });
      // An idle connection the server ends (restart, crash, database dropped) is reported here;
      // the pool replaces it. Without a listener that event would end the process.
      pool.on('error', (err) =>
        new Logger(PrismaService.name).warn({ err: err.message }, 'idle database connection lost'),
      );
      try {
        await PrismaService.migrateAndCheckRoles(config, migrationsDir, pool);
      } catch (err) {
        await pool.end();
        throw err;
      }
      return new PrismaService(new PrismaPg(pool), pool);
    }
    const dataDir = config.dataDir.startsWith('memory://')
      ? config.dataDir
      : join(config.dataDir, 'pgdata');
    if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
    const pglite = new PGlite(dataDir);
    await pglite.waitReady;
    const session: SqlSession = {
      query: (sql, params) => pglite.query(sql, params) as never,
      exec: async (script) => {
        await pglite.exec(script);
      },
    };
    await migrate(session, migrationsDir);
    return new PrismaService(new PrismaPGlite(pglite), undefined, pglite);
  }

  /**
   * Migrations run as the owner (MIGRATION_DATABASE_URL), who then grants the runtime role its
   * rights; without an owner URL they run as DATABASE_URL's role (embedded database, simple
   * setups, or a production where `npm run db:roles` migrated already: nothing to apply), with
   * a warning in production if that role did apply any. Production then refuses to serve if the runtime
   * role could rewrite the audit log (one line, see main.ts).
   */
  private static async migrateAndCheckRoles(
    config: AppConfig,
    migrationsDir: string,
    pool: Pool,
  ): Promise<void> {
    const logger = new Logger(PrismaService.name);
    if (config.migrationDatabaseUrl) {
      const owner = new Client({ connectionString: config.migrationDatabaseUrl });
      await owner.connect();
      try {
        await migrate(
          {
            query: (sql, params) => owner.query(sql, params) as never,
            exec: async (script) => {
              await owner.query(script);
            },
          },
          migrationsDir,
        );
        await grantRuntimeRole(owner, roleOf(config.databaseUrl!).user);
      } finally {
        await owner.end();
      }
    } else {
      const client = await pool.connect();
      try {
        const applied = await migrate(
          {
            query: (sql, params) => client.query(sql, params) as never,
            exec: async (script) => {
              await client.query(script);
            },
          },
          migrationsDir,
        );
        if (applied.length > 0 && config.mode === 'production') {
          logger.warn(
            `migrations ran with DATABASE_URL (MIGRATION_DATABASE_URL is not set): ${applied.join(', ')}; its role now owns what they created (see npm run db:roles)`,
          );
        }
      } finally {
        client.release();
      }
    }
    const problems = await runtimeRoleProblems((sql) => pool.query(sql));
    if (problems.length > 0) {
      const line = `the runtime role can alter the audit log (${problems.join('; ')}); give DATABASE_URL a role with INSERT and SELECT only on it and MIGRATION_DATABASE_URL the owner (npm run db:roles)`;
      if (config.mode === 'production') throw new ConfigError('DATABASE_URL', line);
      logger.warn(line);
    }
  }

  get embedded(): boolean {
    return this.pglite !== undefined;
  }

  /**
   * One statement outside Prisma's query pipeline, for the few queries on the hot path of every
   * consented fetch (its context, the fetch budget, the audit append). Measured under the
   * benchmark, Prisma's raw-query path costs ~0.3 ms of CPU per statement here (its WebAssembly
   * query interpreter and result mapping), more than the round trip to PostgreSQL: on the fetch
   * that was a fifth of the gateway's CPU. Same pool (PostgreSQL) or the same embedded database
   * (PGlite, whose query() waits for a transaction in progress, as Prisma's own queries do);
   * one autocommitted statement; values always bound as parameters (`Prisma.sql` template).
   * Results come as the driver parses them: cast in SQL what must have an exact type.
   * `preparedAs`: a name for a statement whose text never changes (PostgreSQL only), so that
   * each pooled connection prepares it once (the name must always go with the same text).
   */
  async hotQuery<T = Record<string, unknown>>(
    query: Prisma.Sql,
    options: HotQueryOptions = {},
  ): Promise<HotQueryResult<T>> {
    if (this.pool) return pgQuery<T>(this.pool, query, options);
    return pgliteQuery<T>(this.pglite!, query);
  }

  /**
   * A transaction outside Prisma's query pipeline, for a background job that runs all the time
   * beside the fetches (the transparency log's appender): `fn`'s statements are hotQuery calls
   * on one connection, between BEGIN and COMMIT, rolled back if `fn` throws. PostgreSQL: one
   * pooled client, given back to the pool afterwards (dropped if even ROLLBACK failed, its state
   * unknown). PGlite: its own transaction(), which holds every other query of the embedded
   * database until it ends, as Prisma's transactions there do.
   *
   * Bounded on PostgreSQL, as Prisma's interactive transactions are (30 s): a statement running
   * longer than `timeoutMs` is cancelled by the server, and a transaction left idle longer than
   * that (fn awaiting something that never comes) is ended by it, so that a stuck appender never
   * holds its advisory lock, and the appends of every instance, forever. Both are `SET LOCAL`,
   * sent with BEGIN in one round trip. PGlite runs in this process: nothing to bound there.
   */
  async hotTransaction<T>(
    fn: (tx: HotSession) => Promise<T>,
    { timeoutMs = HOT_TRANSACTION_TIMEOUT_MS }: { timeoutMs?: number } = {},
  ): Promise<T> {
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new Error(`hotTransaction: timeoutMs must be a positive integer, not ${timeoutMs}`);
    }
    if (!this.pool) {
      return this.pglite!.transaction((tx) => fn({ query: (query) => pgliteQuery(tx, query) }));
    }
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no pool listener: a connection lost between two statements (the
    // database restarted) would be an unhandled 'error' event, ending the process. Noted here;
    // the next statement fails, and the client is dropped instead of going back to the pool.
    const onLost = (err: Error) => (broken = err);
    client.on('error', onLost);
    try {
      await client.query(
        `BEGIN; SET LOCAL statement_timeout = ${timeoutMs}; ` +
          `SET LOCAL idle_in_transaction_session_timeout = ${timeoutMs}`,
      );
      const result = await fn({ query: (query, options = {}) => pgQuery(client, query, options) });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // After a failed COMMIT the server has already ended the transaction: ROLLBACK only warns.
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      client.off('error', onLost);
      client.release(broken);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  /** Idempotent: PGlite hangs jest on a double close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.$disconnect();
    if (this.pool) await this.pool.end();
    if (this.pglite && !this.pglite.closed) await this.pglite.close();
    this.logger.log('database closed');
  }
}

/** A named statement is parsed and planned once per connection, and its text (a long CTE)
 * no longer travels with every execution: only the bound values do. */
async function pgQuery<T>(
  db: Pick<Pool, 'query'>,
  query: Prisma.Sql,
  options: HotQueryOptions,
): Promise<HotQueryResult<T>> {
  const result = await db.query({
    text: query.text,
    values: query.values as unknown[],
    ...(options.preparedAs ? { name: options.preparedAs } : {}),
  });
  return { rows: result.rows as T[], rowCount: result.rowCount ?? 0, fields: result.fields };
}

async function pgliteQuery<T>(
  db: Pick<PGlite, 'query'>,
  query: Prisma.Sql,
): Promise<HotQueryResult<T>> {
  const result = await db.query<T>(query.text, query.values as unknown[]);
  return {
    rows: result.rows,
    rowCount: result.affectedRows ?? result.rows.length,
    fields: result.fields,
  };
}

export const MIGRATIONS_DIR = Symbol('MIGRATIONS_DIR');

/** PrismaService.hotTransaction's bound on a statement and on idle time, as Prisma's own. */
export const HOT_TRANSACTION_TIMEOUT_MS = 30_000;
