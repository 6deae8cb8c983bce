/**
 * Two database roles (issue 11): the owner runs migrations (MIGRATION_DATABASE_URL); the runtime
 * role (DATABASE_URL) owns nothing and may only INSERT and SELECT on the audit log's tables, so
 * that a compromised or careless gateway cannot rewrite, delete, truncate or un-trigger them.
 * PostgreSQL itself refuses; the signed checkpoints make what a superuser does detectable.
 */
import { Client } from 'pg';

/** Tables the runtime role may only append to and read. */
export const APPEND_ONLY_TABLES = [
  'audit_event',
  'audit_tree_leaf',
  'audit_tree_node',
  'audit_checkpoint',
];

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function roleOf(databaseUrl: string): { user: string; password: string } {
  const url = new URL(databaseUrl);
  return {
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/**
 * Grants the runtime role what the gateway needs, as the owner, idempotently: every table and
 * sequence of the schema (and those later migrations create), then back to INSERT and SELECT on
 * the audit tables. Run after every migration (PrismaService.open does, with an owner URL).
 */
export async function grantRuntimeRole(owner: Client, runtimeUser: string): Promise<void> {
  const role = ident(runtimeUser);
  const { rows } = await owner.query<{ db: string; me: string }>(
    'SELECT current_database() AS db, current_user AS me',
  );
  if (rows[0].me === runtimeUser) {
    throw new Error('the runtime role must differ from the owner role');
  }
  await owner.query(`
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    GRANT CONNECT ON DATABASE ${ident(rows[0].db)} TO ${role};
    GRANT USAGE ON SCHEMA public TO ${role};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${role};
    REVOKE ALL ON "_prisma_migrations" FROM ${role};
    GRANT SELECT ON "_prisma_migrations" TO ${role};
    ${APPEND_ONLY_TABLES.map(
      (t) =>
        `REVOKE ALL ON ${ident(t)} FROM ${role}; GRANT SELECT, INSERT ON ${ident(t)} TO ${role};`,
    ).join('\n')}
  `);
}

/** Creates the runtime role when it does not exist (needs CREATEROLE), then grants. */
export async function ensureRuntimeRole(
  owner: Client,
  runtime: { user: string; password: string },
): Promise<void> {
  const { rows } = await owner.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [runtime.user]);
  if (rows.length === 0) {
    try {
      await owner.query(
        `CREATE ROLE ${ident(runtime.user)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD ${owner.escapeLiteral(runtime.password)}`,
      );
    } catch (err) {
      // Another process created it meanwhile (roles are cluster-wide).
      if ((err as { code?: string }).code !== '42710') throw err;
    }
  }
  await grantRuntimeRole(owner, runtime.user);
}

/**
 * What the connected role could do to the audit log beyond INSERT and SELECT; empty when it is
 * a proper runtime role. Checked in production before serving (fail closed).
 */
export async function runtimeRoleProblems(
  query: (sql: string) => Promise<{ rows: Array<Record<string, unknown>> }>,
): Promise<string[]> {
  const problems: string[] = [];
  const { rows: me } = await query(
    `SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`,
  );
  if (me[0]?.rolsuper) return [`it is a superuser (${String(me[0].name)})`];
  const { rows: owned } = await query(`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'USAGE')
    UNION ALL
    SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public' AND pg_has_role(current_user, p.proowner, 'USAGE')
    UNION ALL
    SELECT 'schema ' || n.nspname FROM pg_namespace n
     WHERE n.nspname = 'public' AND pg_has_role(current_user, n.nspowner, 'USAGE')
    LIMIT 3`);
  if (owned.length > 0) {
    problems.push(`it owns ${owned.map((r) => String(r.name)).join(', ')}`);
  }
  for (const table of APPEND_ONLY_TABLES) {
    const { rows } = await query(`
      SELECT ${['UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES']
        .map((p) => `has_table_privilege('public.${table}', '${p}') AS "${p}"`)
        .join(', ')}`);
    const granted = Object.entries(rows[0] ?? {})
      .filter(([, v]) => v === true)
      .map(([k]) => k);
    if (granted.length > 0) problems.push(`it has ${granted.join(', ')} on ${table}`);
  }
  return problems;
}
