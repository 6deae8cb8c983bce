/**
 * A FranceConnect v2 sandbox wired to a test gateway: the gateway's port is chosen first so
 * that its callback and post-logout URIs can be registered at the sandbox, then the gateway
 * starts with the matching FC_* settings. Tests drive logins with sandbox/franceconnect/browser.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Env } from '../../src/config/app-config.js';
import {
  startFranceConnectSandbox,
  type FranceConnectSandbox,
  type SandboxClient,
} from '../../sandbox/franceconnect/server.js';
import { freePort, startGateway, type TestGateway } from './gateway.js';

export const TEST_FC_CLIENT_ID = 'passerelle-test';

/** The sandbox client registration for a gateway listening on `port`. */
export function gatewayClient(port: number, clientSecret: string): SandboxClient {
  const base = `http://localhost:${port}`;
  return {
    client_id: TEST_FC_CLIENT_ID,
    client_secret: clientSecret,
    redirect_uris: [`${base}/auth/callback`],
    post_logout_redirect_uris: [`${base}/auth/logged-out`],
  };
}

/** FC_* settings pointing a gateway at `issuer`. */
export function franceConnectEnv(issuer: string, clientSecret: string): Env {
  return {
    FC_ISSUER: issuer,
    FC_CLIENT_ID: TEST_FC_CLIENT_ID,
    FC_CLIENT_SECRET: clientSecret,
  };
}

export interface GatewayWithFranceConnect {
  gateway: TestGateway;
  fc: FranceConnectSandbox;
  close(): Promise<void>;
}

/** Starts the sandbox, then a gateway registered at it as client `passerelle-test`. */
export async function startGatewayWithFranceConnect(
  env: Env = {},
): Promise<GatewayWithFranceConnect> {
  const port = await freePort();
  const secret = randomBytes(24).toString('base64url');
  const fc = await startFranceConnectSandbox({
    clients: [gatewayClient(port, secret)],
    logErrors: false,
  });
  let gateway: TestGateway;
  try {
    gateway = await startGateway({
      ...franceConnectEnv(fc.issuer, secret),
      ...env,
      PORT: String(port),
    });
  } catch (err) {
    await fc.close();
    throw err;
  }
  return {
    gateway,
    fc,
    close: async () => {
      await gateway.close();
      await fc.close();
    },
  };
}
