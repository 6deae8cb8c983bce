/**
 * A forward proxy on this machine that answers every request itself, and the environment's proxy
 * variables pointing at it for the length of `fn` (restored after). Whoever honours HTTP_PROXY
 * and the like sends it their call: its hit count is what a test checks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const PROXY_VARIABLES = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY'];
const BYPASS_VARIABLES = ['NO_PROXY', 'no_proxy'];

export interface EnvironmentProxy {
  hits(): number;
}

export async function withEnvironmentProxy<T>(
  answer: { status: number; body: string },
  fn: (proxy: EnvironmentProxy) => Promise<T>,
): Promise<T> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(answer.status, { 'Content-Type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const saved = new Map([...PROXY_VARIABLES, ...BYPASS_VARIABLES].map((n) => [n, process.env[n]]));
  for (const name of PROXY_VARIABLES) process.env[name] = url;
  for (const name of BYPASS_VARIABLES) delete process.env[name];
  try {
    return await fn({ hits: () => hits });
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
