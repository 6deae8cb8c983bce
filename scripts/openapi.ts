/**
 * `npm run openapi [file]`: writes the OpenAPI 3 document (the one served at /docs-json) to a
 * file, default ./openapi.json. Builds the application on a throwaway in-memory database
 * without listening, so it needs no server and no network.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { createApp } from '../src/app.js';
import { buildOpenApiDocument } from '../src/common/swagger.js';

async function main(): Promise<void> {
  const target = resolve(process.argv[2] ?? 'openapi.json');
  const config = loadConfig({
    ...process.env,
    PASSERELLE_MODE: 'demo',
    DATABASE_URL: undefined,
    REDIS_URL: undefined,
    DATA_DIR: 'memory://',
    LOG_LEVEL: 'error',
  });
  const app = await createApp(config);
  try {
    const document = buildOpenApiDocument(app, config.publicUrl);
    writeFileSync(target, JSON.stringify(document, null, 2) + '\n');
    process.stdout.write(`wrote ${target} (${Object.keys(document.paths).length} paths)\n`);
  } finally {
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`openapi: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
