/**
 * `npm run db:roles`: prepares a PostgreSQL database for the two roles of production.
 * Connects as the owner (MIGRATION_DATABASE_URL; it needs CREATEROLE to create the runtime
 * role, or the role must exist), applies the migrations, creates the runtime role named by
 * DATABASE_URL (its user and password) if missing, and grants it SELECT, INSERT, UPDATE, DELETE
 * on the gateway's tables but only SELECT and INSERT on the audit log's. Idempotent: run it
 * again after an upgrade (the gateway re-grants at each start when MIGRATION_DATABASE_URL is set).
 * Exit status: 0 done, 1 failed.
 */
import { join } from 'node:path';
import { Client } from 'pg';
import { migrate } from '../src/database/migrator.js';
import { ensureRuntimeRole, roleOf, runtimeRoleProblems } from '../src/database/roles.js';

async function main(): Promise<void> {
  const ownerUrl = process.env.MIGRATION_DATABASE_URL;
  const runtimeUrl = process.env.DATABASE_URL;
  if (!ownerUrl || !runtimeUrl) {
    throw new Error('set MIGRATION_DATABASE_URL (owner) and DATABASE_URL (runtime role)');
  }
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const applied = await migrate(
      {
        query: (sql, params) => owner.query(sql, params) as never,
        exec: async (script) => {
          await owner.query(script);
        },
      },
      join(process.cwd(), 'prisma', 'migrations'),
    );
    await ensureRuntimeRole(owner, roleOf(runtimeUrl));
    process.stdout.write(`migrations applied: ${applied.length}; runtime role granted\n`);
  } finally {
    await owner.end();
  }
  const runtime = new Client({ connectionString: runtimeUrl });
  await runtime.connect();
  try {
    const problems = await runtimeRoleProblems((sql) => runtime.query(sql));
    if (problems.length > 0)
      throw new Error(`runtime role still too powerful: ${problems.join('; ')}`);
    process.stdout.write('runtime role: INSERT and SELECT only on the audit log\n');
  } finally {
    await runtime.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`db:roles: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
