import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from './config/app-config.js';

/**
 * Listens and wires SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish
 * (bounded), close the database through Nest's shutdown hooks, exit 0. Nest's own
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
    }, 25_000);
    force.unref();
    try {
      await app.close();
      await onStop?.();
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
