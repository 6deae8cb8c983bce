/**
 * Standalone entry: starts the four demo data providers and prints their base URLs.
 *
 * Environment (all optional):
 *   PROVIDERS_HOST                 interface to listen on (default localhost)
 *   PROVIDERS_ADVERTISED_HOST      host to print in the URLs (default PROVIDERS_HOST)
 *   PROVIDER_CNAF_PORT, PROVIDER_FRANCE_TRAVAIL_PORT, PROVIDER_MESR_PORT, PROVIDER_DGFIP_PORT
 *                                  ports (default 0: random)
 *   PROVIDERS_GATEWAY_JWKS_URL     require X-Passerelle-Assertion, verified with this JWKS
 *   PROVIDERS_GATEWAY_ISSUER       expected `iss` of the assertion
 *   PROVIDERS_LATENCY_MS           base latency of every answer
 *   PROVIDERS_SANDBOX_TOKEN        token of POST /__sandbox/mode (random when unset)
 *   PROVIDER_CNAF_API_KEY, PROVIDER_MESR_API_KEY, PROVIDER_DGFIP_TOKEN,
 *   PROVIDER_FRANCE_TRAVAIL_CLIENT_ID, PROVIDER_FRANCE_TRAVAIL_CLIENT_SECRET
 *                                  credentials (default: the fixed demo values of server.ts)
 *
 * Stops on SIGTERM / SIGINT.
 */
import {
  PROVIDER_IDS,
  startDemoProviders,
  type DemoProviderSecrets,
  type ProviderId,
} from './server.js';

function intEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535 * 1000) {
    throw new Error(`${name} must be a non-negative integer`);
  }
  return n;
}

function strEnv(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

async function main(): Promise<void> {
  const ports: Partial<Record<ProviderId, number>> = {};
  for (const id of PROVIDER_IDS) {
    const p = intEnv(`PROVIDER_${id.toUpperCase()}_PORT`);
    if (p !== undefined) ports[id] = p;
  }
  const secrets: Partial<DemoProviderSecrets> = {};
  const set = (key: keyof DemoProviderSecrets, env: string) => {
    const v = strEnv(env);
    if (v) secrets[key] = v;
  };
  set('cnafApiKey', 'PROVIDER_CNAF_API_KEY');
  set('mesrApiKey', 'PROVIDER_MESR_API_KEY');
  set('dgfipToken', 'PROVIDER_DGFIP_TOKEN');
  set('franceTravailClientId', 'PROVIDER_FRANCE_TRAVAIL_CLIENT_ID');
  set('franceTravailClientSecret', 'PROVIDER_FRANCE_TRAVAIL_CLIENT_SECRET');

  const sandboxTokenFromEnv = strEnv('PROVIDERS_SANDBOX_TOKEN');
  const demo = await startDemoProviders({
    host: strEnv('PROVIDERS_HOST'),
    advertisedHost: strEnv('PROVIDERS_ADVERTISED_HOST'),
    ports,
    gatewayJwksUrl: strEnv('PROVIDERS_GATEWAY_JWKS_URL') ?? null,
    gatewayIssuer: strEnv('PROVIDERS_GATEWAY_ISSUER') ?? null,
    latencyMs: intEnv('PROVIDERS_LATENCY_MS'),
    sandboxToken: sandboxTokenFromEnv,
    secrets,
  });

  const lines = ['Fournisseurs de données de démonstration :'];
  for (const id of PROVIDER_IDS) {
    const { url, auth } = demo.providers[id];
    lines.push(`  ${id.padEnd(15)} ${url}  (${auth.kind})`);
  }
  lines.push(
    strEnv('PROVIDERS_GATEWAY_JWKS_URL')
      ? '  assertion de la passerelle exigée (X-Passerelle-Assertion)'
      : '  assertion de la passerelle non exigée',
  );
  if (!sandboxTokenFromEnv)
    lines.push(`  jeton du bac à sable (X-Sandbox-Token) : ${demo.sandboxToken}`);
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`demo providers failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
