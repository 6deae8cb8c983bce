/**
 * PrismaService.hotTransaction on both engines: commits what `fn` did, rolls all of it back when
 * `fn` throws (a statement error or our own), and gives its connection back clean each time.
 */
import { join } from 'node:path';
import { Prisma } from '../src/generated/prisma/client.js';
import { loadConfig } from '../src/config/app-config.js';
import { PrismaService } from '../src/database/prisma.service.js';
import { createTestDatabase, TestDatabase } from './support/database.js';

const MIGRATIONS = join(process.cwd(), 'prisma', 'migrations');

const engines: Array<[string, () => Promise<TestDatabase>]> = [
  ['embedded PGlite', async () => ({ dataDir: 'memory://', drop: async () => undefined })],
];
if (process.env.DATABASE_URL) engines.push(['PostgreSQL', () => createTestDatabase()]);

describe.each(engines)('hotTransaction on %s', (engine, create) => {
  let db: TestDatabase;
  let prisma: PrismaService;

  beforeAll(async () => {
    db = await create();
    prisma = await PrismaService.open(
      loadConfig({ DATA_DIR: db.dataDir, DATABASE_URL: db.url }),
      MIGRATIONS,
    );
  });

  afterAll(async () => {
    await prisma?.close();
    await db?.drop();
  });

  const subs = async (prefix: string) =>
    (
      await prisma.hotQuery<{ sub: string }>(
        Prisma.sql`SELECT sub FROM citizen WHERE sub LIKE ${`${prefix}%`} ORDER BY sub`,
      )
    ).rows.map((r) => r.sub);

  it('commits the statements of fn, which see each other, and returns its result', async () => {
    const result = await prisma.hotTransaction(async (tx) => {
      await tx.query(Prisma.sql`INSERT INTO citizen (id, sub) VALUES (gen_random_uuid(), 'c-1')`);
      const { rows } = await tx.query<{ n: number }>(
        Prisma.sql`SELECT count(*)::int AS n FROM citizen WHERE sub = 'c-1'`,
      );
      await tx.query(Prisma.sql`INSERT INTO citizen (id, sub) VALUES (gen_random_uuid(), 'c-2')`);
      return rows[0].n;
    });
    expect(result).toBe(1);
    expect(await subs('c-')).toEqual(['c-1', 'c-2']);
  });

  it('rolls back everything when fn throws, and rethrows its error', async () => {
    const failure = new Error('appender gave up');
    await expect(
      prisma.hotTransaction(async (tx) => {
        await tx.query(Prisma.sql`INSERT INTO citizen (id, sub) VALUES (gen_random_uuid(), 'r-1')`);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await subs('r-')).toEqual([]);
  });

  it('rolls back after a failed statement and leaves the connection usable', async () => {
    // More failures than the pool has connections (20): a client kept, or given back inside
    // its aborted transaction, would hang or fail the statements after.
    for (let i = 0; i < 25; i++) {
      await expect(
        prisma.hotTransaction(async (tx) => {
          await tx.query(
            Prisma.sql`INSERT INTO citizen (id, sub) VALUES (gen_random_uuid(), ${`f-${i}`})`,
          );
          await tx.query(Prisma.sql`SELECT 1 / 0`);
        }),
      ).rejects.toThrow(/division by zero/);
    }
    expect(await subs('f-')).toEqual([]);
    await prisma.hotTransaction(async (tx) => {
      await tx.query(Prisma.sql`INSERT INTO citizen (id, sub) VALUES (gen_random_uuid(), 'f-ok')`);
    });
    expect(await subs('f-')).toEqual(['f-ok']);
    expect(await prisma.citizen.count({ where: { sub: 'f-ok' } })).toBe(1); // Prisma's pool too
  });

  it('holds a transaction-scoped advisory lock until it ends: lockers run one after the other', async () => {
    const order: string[] = [];
    const locker = (name: string) =>
      prisma.hotTransaction(async (tx) => {
        await tx.query(Prisma.sql`SELECT pg_advisory_xact_lock(4242)::text`);
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 50));
        order.push(`${name} out`);
      });
    await Promise.all([locker('a'), locker('b')]);
    expect(order).toEqual(
      order[0] === 'a in' ? ['a in', 'a out', 'b in', 'b out'] : ['b in', 'b out', 'a in', 'a out'],
    );
  });

  // PGlite runs in this process: there is no connection to cut.
  const onServer = engine === 'PostgreSQL' ? it : it.skip;
  onServer(
    'survives its connection being cut between two statements: rejects, the pool goes on',
    async () => {
      const attempt = prisma.hotTransaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>(
          Prisma.sql`SELECT pg_backend_pid() AS pid`,
        );
        // Another connection ends this one while fn is between statements (as a restart would).
        await prisma.hotQuery(Prisma.sql`SELECT pg_terminate_backend(${rows[0].pid}::int)`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await tx.query(Prisma.sql`SELECT 1`);
      });
      await expect(attempt).rejects.toThrow();
      const { rows } = await prisma.hotQuery<{ one: number }>(Prisma.sql`SELECT 1 AS one`);
      expect(rows).toEqual([{ one: 1 }]);
    },
  );

  onServer(
    'is bounded by default as Prisma’s transactions are: 30 s per statement and idle',
    async () => {
      const settings = await prisma.hotTransaction(async (tx) => {
        const { rows } = await tx.query<{ statement: string; idle: string }>(
          Prisma.sql`SELECT current_setting('statement_timeout') AS statement,
                          current_setting('idle_in_transaction_session_timeout') AS idle`,
        );
        return rows[0];
      });
      expect(settings).toEqual({ statement: '30s', idle: '30s' });
      // SET LOCAL: the pooled connection goes back with the server's defaults.
      const { rows } = await prisma.hotQuery<{ statement: string }>(
        Prisma.sql`SELECT current_setting('statement_timeout') AS statement`,
      );
      expect(rows[0].statement).toBe('0');
    },
  );

  onServer(
    'cancels a statement that outlasts its bound, rolls back, and the connection goes on',
    async () => {
      // pg_sleep(60) would outlast this test's own timeout: only the bound can end it in time.
      const attempt = prisma.hotTransaction(
        async (tx) => {
          await tx.query(
            Prisma.sql`INSERT INTO citizen (id, sub) VALUES (gen_random_uuid(), 't-1')`,
          );
          await tx.query(Prisma.sql`SELECT pg_sleep(60)`);
        },
        { timeoutMs: 300 },
      );
      await expect(attempt).rejects.toThrow(/statement timeout/);
      expect(await subs('t-')).toEqual([]);
      const { rows } = await prisma.hotQuery<{ one: number }>(Prisma.sql`SELECT 1 AS one`);
      expect(rows).toEqual([{ one: 1 }]);
    },
    20_000,
  );

  onServer(
    'ends a transaction left idle past its bound (its lock with it): rejects, the pool goes on',
    async () => {
      const attempt = prisma.hotTransaction(
        async (tx) => {
          await tx.query(Prisma.sql`SELECT pg_advisory_xact_lock(4343)::text`);
          await tx.query(
            Prisma.sql`INSERT INTO citizen (id, sub) VALUES (gen_random_uuid(), 'i-1')`,
          );
          // fn stalls between statements well past the bound: the server ends the session.
          await new Promise((resolve) => setTimeout(resolve, 1500));
          await tx.query(Prisma.sql`SELECT 1`);
        },
        { timeoutMs: 300 },
      );
      await expect(attempt).rejects.toThrow();
      expect(await subs('i-')).toEqual([]);
      // The lock went with the session: another transaction takes it at once.
      const taken = await prisma.hotTransaction(async (tx) => {
        const { rows } = await tx.query<{ got: boolean }>(
          Prisma.sql`SELECT pg_try_advisory_xact_lock(4343) AS got`,
        );
        return rows[0].got;
      });
      expect(taken).toBe(true);
    },
    20_000,
  );

  it('refuses a bound that is not a positive whole number of milliseconds', async () => {
    for (const timeoutMs of [0, -1, 1.5, Number.NaN]) {
      await expect(prisma.hotTransaction(async () => 1, { timeoutMs })).rejects.toThrow(
        /timeoutMs/,
      );
    }
  });
});
