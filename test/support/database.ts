/**
 * Every test file gets its own database: a fresh PostgreSQL database on the server named by
 * DATABASE_URL (what CI uses), or an in-memory embedded PGlite when it is unset (a laptop
 * with nothing installed). Nothing is shared between files, so they can run in any order.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** DATABASE_URL for the gateway, or undefined for embedded PGlite. */
  url?: string;
  /** With `{ roles: true }`: the owner's URL (MIGRATION_DATABASE_URL); `url` is then the runtime role's. */
  ownerUrl?: string;
  dataDir: string;
  drop(): Promise<void>;
}

/**
 * `roles: true` sets the database up as production runs it (issue 11): `ownerUrl` (the server's
 * user) owns the tables and runs the migrations, `url` is a fresh runtime role that the gateway
 * grants INSERT and SELECT only on the audit log (PrismaService.open does, as the owner).
 */
export async function createTestDatabase(options: { roles?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { dataDir: 'memory://', drop: async () => undefined };
  const tag = randomBytes(6).toString('hex');
  const name = `passerelle_t_${tag}`;
  const role = options.roles ? `passerelle_rt_${tag}` : undefined;
  const password = randomBytes(12).toString('hex');
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    if (role) await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const ownerUrl = url.toString();
  if (role) {
    url.username = role;
    url.password = password;
  }
  return {
    url: url.toString(),
    ...(role ? { ownerUrl } : {}),
    dataDir: 'memory://',
    drop: async () => {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        if (role) await c.query(`DROP ROLE IF EXISTS ${role}`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Type OIDs (pg_type) of the PostgreSQL types our raw statements' column lists name. */
const TYPE_OIDS: Record<string, number> = {
  bool: 16,
  int4: 23,
  text: 25,
  float8: 701,
  'text[]': 1009,
  jsonb: 3802,
};

/** A raw statement's declared columns (name → type name) as name → type OID. */
export const declaredColumns = (columns: Record<string, string>) =>
  Object.fromEntries(Object.entries(columns).map(([name, type]) => [name, TYPE_OIDS[type]]));

/** The columns PostgreSQL described for a result, as name → type OID. */
export const describedColumns = (fields: Array<{ name: string; dataTypeID: number }>) =>
  Object.fromEntries(fields.map((f) => [f.name, f.dataTypeID]));
