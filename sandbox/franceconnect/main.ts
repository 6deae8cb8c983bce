/**
 * Standalone entry of the FranceConnect sandbox (demo mode, docker-compose, manual tests).
 *
 *   FC_SANDBOX_PORT               port to listen on (default 5010; 0 = random)
 *   FC_SANDBOX_HOST               interface and issuer host (default localhost)
 *   FC_SANDBOX_PUBLIC_URL         optional public base URL (issuer = <url>/api/v2)
 *   FC_SANDBOX_ADMIN_TOKEN        optional bearer token for POST /__sandbox/fault
 *   FC_SANDBOX_FAULT              optional fault to start with (see FRANCECONNECT_FAULTS)
 *   FC_CLIENT_ID / FC_CLIENT_SECRET            the one registered client
 *   FC_REDIRECT_URI               its redirect URI(s), comma-separated
 *   FC_POST_LOGOUT_REDIRECT_URI   its post-logout redirect URI(s), comma-separated
 *   FC_DATA_PROVIDER_CLIENT_ID / FC_DATA_PROVIDER_CLIENT_SECRET   optional registered data
 *                                 provider (checktoken caller), in FC_CLIENT_ID's entity
 *   FC_DATA_PROVIDER_ENCRYPTION_JWKS_URI   optional: encrypt its checktoken answers to that key
 *   FC_SERVICE_PROVIDER_CLIENT_ID / FC_SERVICE_PROVIDER_CLIENT_SECRET / FC_SERVICE_PROVIDER_REDIRECT_URI
 *                                 optional second service provider (API FranceConnectée caller)
 *
 * Prints one `[franceconnect-sandbox] ready issuer=… port=…` line once it listens; stops on
 * SIGTERM or SIGINT.
 */
import {
  FRANCECONNECT_FAULTS,
  startFranceConnectSandbox,
  type FranceConnectFault,
} from './server.js';

function list(value: string | undefined, fallback: string): string[] {
  return (value ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.FC_SANDBOX_PORT ?? '5010');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`FC_SANDBOX_PORT must be a port number, got ${env.FC_SANDBOX_PORT}`);
  }
  const initialFault = env.FC_SANDBOX_FAULT || null;
  if (initialFault !== null && !FRANCECONNECT_FAULTS.includes(initialFault as never)) {
    throw new Error(`FC_SANDBOX_FAULT must be one of ${FRANCECONNECT_FAULTS.join(', ')}`);
  }

  const loginClientId = env.FC_CLIENT_ID || 'passerelle-demo';
  const sandbox = await startFranceConnectSandbox({
    port,
    host: env.FC_SANDBOX_HOST || 'localhost',
    publicUrl: env.FC_SANDBOX_PUBLIC_URL || undefined,
    adminToken: env.FC_SANDBOX_ADMIN_TOKEN || undefined,
    clients: [
      {
        client_id: loginClientId,
        entity: loginClientId,
        client_secret: env.FC_CLIENT_SECRET || 'passerelle-demo-franceconnect-secret',
        redirect_uris: list(env.FC_REDIRECT_URI, 'http://localhost:3000/auth/callback'),
        post_logout_redirect_uris: list(env.FC_POST_LOGOUT_REDIRECT_URI, 'http://localhost:3000/'),
      },
      ...(env.FC_SERVICE_PROVIDER_CLIENT_ID && env.FC_SERVICE_PROVIDER_CLIENT_SECRET
        ? [
            {
              client_id: env.FC_SERVICE_PROVIDER_CLIENT_ID,
              client_secret: env.FC_SERVICE_PROVIDER_CLIENT_SECRET,
              redirect_uris: list(env.FC_SERVICE_PROVIDER_REDIRECT_URI, ''),
              post_logout_redirect_uris: [],
            },
          ]
        : []),
    ],
    dataProviders:
      env.FC_DATA_PROVIDER_CLIENT_ID && env.FC_DATA_PROVIDER_CLIENT_SECRET
        ? [
            {
              client_id: env.FC_DATA_PROVIDER_CLIENT_ID,
              client_secret: env.FC_DATA_PROVIDER_CLIENT_SECRET,
              entity: loginClientId,
              encryption_jwks_uri: env.FC_DATA_PROVIDER_ENCRYPTION_JWKS_URI || undefined,
            },
          ]
        : [],
  });
  sandbox.setFault(initialFault as FranceConnectFault);
  console.log(`[franceconnect-sandbox] ready issuer=${sandbox.issuer} port=${sandbox.port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[franceconnect-sandbox] ${signal}, closing`);
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('[franceconnect-sandbox] close failed', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('[franceconnect-sandbox] failed to start:', err);
  process.exit(1);
});
