/**
 * `npm start`: the gateway in demo mode with everything it needs, on this machine only.
 * (Sandboxes and seeding are wired in as they land.)
 */
import 'reflect-metadata';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { createApp } from '../src/app.js';
import { listenWithGracefulShutdown } from '../src/server.js';

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env, PASSERELLE_MODE: 'demo' });
  const app = await createApp(config);
  await listenWithGracefulShutdown(app, config);
  const db = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PostgreSQL in ${config.dataDir}`;
  process.stdout.write(
    `\nPasserelle (demo) listening on ${config.publicUrl}  [${Date.now() - started} ms, ${db}]\n` +
      `  API docs      ${config.publicUrl}/docs\n` +
      `  Health        ${config.publicUrl}/health/ready\n\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`passerelle: ${err instanceof ConfigError ? err.message : `start failed: ${(err as Error).message}`}\n`);
  process.exit(1);
});
