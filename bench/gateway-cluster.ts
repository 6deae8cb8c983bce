/**
 * The gateway as N processes on one port (`BENCH_GATEWAY_PROCESSES`), for the bench's
 * scale-out scenario. Node 20 has no SO_REUSEPORT option, so `node:cluster` is the small local
 * balancer: the primary accepts connections and hands each to a worker in turn; a kept-alive
 * connection then stays with its worker. Each worker is `dist/src/main.js` unchanged (instances
 * are stateless: migrations, signing keys and background jobs take advisory locks).
 *
 * Prints `workers <pid> <pid>…` once all are forked, `listening <pid>` as each one listens;
 * SIGTERM is passed on to every worker.
 */
import cluster from 'node:cluster';
import { join } from 'node:path';

const processes = Math.max(1, Number(process.env.BENCH_GATEWAY_PROCESSES ?? 2));
cluster.setupPrimary({ exec: join(__dirname, '..', 'src', 'main.js') });
const workers = Array.from({ length: processes }, () => cluster.fork());
process.stdout.write(`workers ${workers.map((w) => w.process.pid).join(' ')}\n`);
cluster.on('listening', (worker) => process.stdout.write(`listening ${worker.process.pid}\n`));
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping = true;
    for (const w of workers) w.process.kill(signal);
  });
}
cluster.on('exit', (worker, code) => {
  if (!stopping) process.stderr.write(`worker ${worker.process.pid} exited (${code})\n`);
  if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
});
