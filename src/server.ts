import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from './config/index.js';
import { DrainService } from './health/index.js';

/** Beyond the drain timeout, how long closing the pools, Redis and the bus may take. */
const CLOSE_MARGIN_MS = 10_000;

/**
 * Stops the gateway gracefully, in the order that keeps every promise made to a request already
 * accepted (DrainService): readiness 503 and `Connection: close` at once, the listener closed and
 * idle kept-alive connections dropped, the requests in flight finished (at most the drain
 * timeout, then 503 `shutting_down` with their budget given back), and only then Nest's
 * shutdown: audit queue flushed, pools, Redis and the bus closed. Nest's own app.close() alone
 * closes the database before the HTTP server stops taking requests.
 */
export async function stopGracefully(
  app: INestApplication,
  config: AppConfig,
  onStop?: () => Promise<void>,
): Promise<void> {
  const drain = app.get(DrainService);
  drain.begin();
  const server = app.getHttpServer() as Server;
  const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await drain.drain(config.drainTimeoutMs);
  // Whatever connection is left is idle or carries an answer already written.
  server.closeAllConnections();
  await listenerClosed;
  await app.close();
  await onStop?.();
}

/**
 * Listens and wires SIGTERM/SIGINT to stopGracefully, then exit 0. Nest's own
 * enableShutdownHooks re-raises the signal, which would end with status 143: hence this.
 */
export async function listenWithGracefulShutdown(
  app: INestApplication,
  config: AppConfig,
  onStop?: () => Promise<void>,
): Promise<string> {
  await app.listen(config.port, config.host);
  const url = await app.getUrl();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`passerelle: ${signal} received, finishing in-flight requests\n`);
    const force = setTimeout(() => {
      process.stderr.write('passerelle: shutdown took too long, exiting\n');
      process.exit(1);
    }, config.drainTimeoutMs + CLOSE_MARGIN_MS);
    force.unref();
    try {
      await stopGracefully(app, config, onStop);
      process.stdout.write('passerelle: stopped\n');
      process.exit(0);
    } catch (err) {
      process.stderr.write(`passerelle: shutdown failed: ${(err as Error).message}\n`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return url;
}
