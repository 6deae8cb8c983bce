/**
 * Drives Prisma's schema engine (its WebAssembly build) offline: Prisma 7's CLI needs a native
 * engine binary downloaded from Prisma's host, which our machines cannot reach. Used to write a
 * new migration (`npm run migration:new <name>`) and, in the test suite, to prove that the
 * committed migrations produce exactly what `schema.prisma` describes.
 *
 * The engine's JS API is internal to Prisma; pin @prisma/schema-engine-wasm to the version
 * matching the `prisma` CLI when upgrading.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/** npm scripts and jest both run from the project root (no __dirname: jest runs us as ESM). */
export function projectRoot(): string {
  return process.cwd();
}

interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function migrationsDir(): string {
  return join(projectRoot(), 'prisma', 'migrations');
}

export function readMigrationsList() {
  const baseDir = migrationsDir();
  const dirs = existsSync(baseDir)
    ? readdirSync(baseDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const lockPath = join(baseDir, 'migration_lock.toml');
  return {
    baseDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((path) => ({
      path,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok', value: readFileSync(join(baseDir, path, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

interface Engine {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
}

/**
 * Diffs the committed migrations against schema.prisma using an in-memory PGlite as the shadow
 * database. Returns the SQL that would bring the migrations up to the schema ('' when none).
 */
export async function diffMigrationsToSchema(): Promise<{ sql: string; drift: boolean }> {
  const requireFromHere = createRequire(join(projectRoot(), 'package.json'));
  const wasmPath = join(
    dirname(requireFromHere.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
    'schema_engine_bg.wasm',
  );
  const bg = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  const { instance } = await wasmApi.instantiate(readFileSync(wasmPath), {
    './schema_engine_bg.js': bg,
  });
  (bg as unknown as { __wbg_set_wasm(w: unknown): void }).__wbg_set_wasm(instance.exports);
  (instance.exports as unknown as { __wbindgen_start(): void }).__wbindgen_start();
  const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils');

  const main = new PGlite();
  const shadow = new PGlite();
  const open: PGlite[] = [main, shadow];
  // pglite-prisma-adapter 0.7.2 neither awaits executeScript nor closes its shadow database:
  // wrap it so a failing migration fails the diff and every PGlite gets closed.
  const patch = async (db: PGlite) => {
    const adapter = await new PrismaPGlite(db).connect();
    adapter.executeScript = async (script: string) => {
      await db.exec(script);
    };
    return adapter;
  };
  const factory = {
    provider: 'postgres' as const,
    adapterName: 'passerelle-pglite-migrations',
    connect: () => patch(main),
    connectToShadowDb: () => patch(shadow),
  };
  const schema = readFileSync(join(projectRoot(), 'prisma', 'schema.prisma'), 'utf8');
  const { SchemaEngine } = bg as unknown as {
    SchemaEngine: { new: (o: unknown, log: unknown, a: unknown) => Promise<Engine> };
  };
  const engine = await SchemaEngine.new(
    { datamodels: [['schema.prisma', schema]] },
    () => undefined,
    bindMigrationAwareSqlAdapterFactory(factory as never),
  );
  try {
    const result = await engine.diff({
      from: { tag: 'migrations', ...readMigrationsList() },
      to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schema }] },
      script: true,
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    const sql = (result.stdout ?? '').trim();
    const empty = sql === '' || sql === '-- This is an empty migration.';
    return { sql: empty ? '' : sql, drift: result.exitCode === 2 && !empty };
  } finally {
    engine.free();
    for (const db of open) if (!db.closed) await db.close();
  }
}
