/**
 * Outbound calls never take an environment proxy (src/common/direct-http.ts): with HTTP_PROXY,
 * HTTPS_PROXY and ALL_PROXY pointing at a listening proxy on this machine, a call through
 * directAgents and directAxiosConfig reaches its target, on this Node's form of the setting
 * (agents with an empty proxyEnv on Node 22.21+ and 24.5+, axios's proxy: false before). The
 * same call without them goes to the proxy: the setup does detect a proxied call.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { agentsTakeProxyEnv, directAgents, directAxiosConfig } from '../src/common/direct-http.js';
import { withEnvironmentProxy } from './support/env-proxy.js';

describe('outbound HTTP without an environment proxy', () => {
  let target: http.Server;
  let targetUrl: string;
  let targetHits = 0;

  beforeAll(async () => {
    target = http.createServer((_req, res) => {
      targetHits++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"from":"target"}');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/x`;
  });

  afterAll(async () => {
    target.closeAllConnections();
    await new Promise((resolve) => target.close(resolve));
  });

  const proxyAnswer = { status: 200, body: '{"from":"proxy"}' };

  it('a call through directAgents and directAxiosConfig reaches its target', async () => {
    const agents = directAgents();
    try {
      await withEnvironmentProxy(proxyAnswer, async (proxy) => {
        const before = targetHits;
        const res = await axios.get<{ from: string }>(targetUrl, directAxiosConfig(agents));
        expect(res.data).toEqual({ from: 'target' });
        expect([targetHits - before, proxy.hits()]).toEqual([1, 0]);
      });
    } finally {
      agents.destroy();
    }
  });

  it('the same call with axios as configured by default goes to the proxy', async () => {
    await withEnvironmentProxy(proxyAnswer, async (proxy) => {
      const before = targetHits;
      const res = await axios.get<{ from: string }>(targetUrl);
      expect(res.data).toEqual({ from: 'proxy' });
      expect([targetHits - before, proxy.hits()]).toEqual([0, 1]);
    });
  });

  it('takes proxyEnv where Node and axios both do, proxy: false elsewhere', () => {
    expect(
      ['20.20.2', '22.20.0', '22.21.0', '23.11.0', '24.4.1', '24.5.0', '24.22.3', '26.0.0'].map(
        agentsTakeProxyEnv,
      ),
    ).toEqual([false, false, true, false, false, true, true, true]);
    const config = directAxiosConfig(directAgents());
    const native = agentsTakeProxyEnv(process.versions.node);
    expect('proxy' in config).toBe(!native);
    const options = (config.httpAgent as unknown as { options: Record<string, unknown> }).options;
    expect(options.proxyEnv).toEqual(native ? {} : undefined);
  });
});
