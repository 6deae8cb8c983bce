/**
 * Production entry point: `node dist/src/main.js`. Configuration comes from the environment;
 * a wrong setting ends the start with one line naming it.
 */
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/index.js';
import { MigrationError } from './database/index.js';
import { createApp } from './app.js';
import { listenWithGracefulShutdown } from './server.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await createApp(config);
  await listenWithGracefulShutdown(app, config);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof MigrationError) {
    process.stderr.write(`passerelle: ${err.message}\n`);
  } else {
    process.stderr.write(
      `passerelle: start failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
  }
  process.exit(1);
});
