/**
 * Starts a real gateway (the same createApp as production) on a free port, against a fresh
 * database. Tests then talk to it over HTTP only.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.js';
import { AppConfig, Env, loadConfig } from '../../src/config/app-config.js';
import { PrismaService } from '../../src/database/prisma.service.js';
import { createTestDatabase, TestDatabase } from './database.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, 'localhost', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, 'localhost', () => srv.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports (for launchers that take a base port), first one returned. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await isFree(base + i);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/** Collects log lines in memory (tests read them; nothing reaches the console). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface TestGateway {
  app: NestExpressApplication;
  url: string;
  config: AppConfig;
  prisma: PrismaService;
  logs: LogCapture;
  database: TestDatabase;
  close(): Promise<void>;
}

export async function startGateway(env: Env = {}, database?: TestDatabase): Promise<TestGateway> {
  const db = database ?? (await createTestDatabase());
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const config = loadConfig({
    PASSERELLE_MODE: 'demo',
    HOST: 'localhost',
    PORT: String(port),
    DATA_DIR: db.dataDir,
    DATABASE_URL: db.url,
    MASTER_KEY: randomBytes(32).toString('base64'),
    OPERATOR_TOKEN: randomBytes(24).toString('base64url'),
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'info',
    // Test providers, JWKS and notification receivers listen on this machine, on random ports.
    OUTBOUND_ALLOW_LIST: 'localhost,127.0.0.1,::1',
    // Every test client calls from 127.0.0.1: one address standing for many services.
    RATE_LIMIT_TOKEN_PER_ADDRESS_PER_MINUTE: '100000',
    ...env,
  });
  const logs = new LogCapture();
  const app = await createApp(config, { logDestination: logs });
  await app.listen(port, config.host);
  const url = `http://localhost:${port}`;
  let closed = false;
  return {
    app,
    url,
    config,
    prisma: app.get(PrismaService),
    logs,
    database: db,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      if (!database) await db.drop();
    },
  };
}
