/**
 * `npm start`: the gateway in demo mode with everything it needs, on this machine only:
 * embedded PostgreSQL (unless DATABASE_URL is set), the FranceConnect v2 sandbox, the demo
 * providers and a demo requesting service. The registry is seeded through the operator API,
 * exactly as an operator would, and `<data folder>/demo.json` says where to click.
 *
 * This launcher is not product code: it may import the sandboxes; src/ never does.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { createApp } from '../src/app.js';
import { listenWithGracefulShutdown } from '../src/server.js';
import { TEST_CITIZENS } from '../sandbox/citizens.js';
import { startFranceConnectSandbox } from '../sandbox/franceconnect/server.js';
import { FC_IDENTITY_SCOPES } from '../sandbox/demo-service/server.js';
import { catalogWithUrls, startDemoProviders } from '../sandbox/providers/server.js';
import { type DemoService, startDemoService } from '../sandbox/demo-service/server.js';
import { startWitness } from '../sandbox/witness/server.js';

/** Fixed ports so that demo.json stays valid across restarts; movable for tests and clashes. */
const PROVIDERS_BASE_PORT = Number(process.env.DEMO_PROVIDERS_BASE_PORT ?? 3201);
const DEMO_PORTS = {
  cnaf: PROVIDERS_BASE_PORT,
  france_travail: PROVIDERS_BASE_PORT + 1,
  mesr: PROVIDERS_BASE_PORT + 2,
  dgfip: PROVIDERS_BASE_PORT + 3,
};
const DEMO_SERVICE_PORT = Number(process.env.DEMO_SERVICE_PORT ?? 3300);
const DEMO_WITNESS_PORT = Number(process.env.DEMO_WITNESS_PORT ?? 3400);

interface AdminCall {
  status: number;
  body: Record<string, unknown> | null;
}

function adminClient(base: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<AdminCall> => {
    const res = await fetch(`${base}/api/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: res.status,
      body: (await res.json().catch(() => null)) as Record<string, unknown> | null,
    };
  };
}

function must(call: AdminCall, what: string): Record<string, unknown> {
  if (call.status >= 300 || !call.body) {
    throw new Error(`seeding failed (${what}): HTTP ${call.status} ${JSON.stringify(call.body)}`);
  }
  return call.body;
}

/** A dataset's FranceConnect data scope in the demo: its id with `_` for `.`. */
function franceConnectScope(datasetId: string): string {
  return datasetId.replace('.', '_');
}

/**
 * The demo service's registration at the FranceConnect sandbox (API FranceConnectée), kept in
 * the data folder so that demo.json stays valid across restarts.
 */
function demoServiceProvider(dataDir: string): { client_id: string; client_secret: string } {
  const fresh = {
    client_id: 'demo-service-franceconnect',
    client_secret: randomBytes(24).toString('base64url'),
  };
  if (dataDir.startsWith('memory://')) return fresh;
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'demo-fc-service-provider.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o600 });
  return fresh;
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig({
    LOG_LEVEL: 'error',
    // The demo providers listen on localhost: the only internal targets the gateway may call.
    OUTBOUND_ALLOW_LIST: Object.values(DEMO_PORTS)
      .map((port) => `localhost:${port}`)
      .join(','),
    // The audit witness below keeps a copy of every signed checkpoint outside the database.
    AUDIT_WITNESS_URL: `http://localhost:${DEMO_WITNESS_PORT}/checkpoints`,
    ...process.env,
    PASSERELLE_MODE: 'demo',
  });
  const fcUrl = new URL(config.franceConnect.issuer);
  const fcService = demoServiceProvider(config.dataDir);
  const fcServiceRedirectUri = `http://localhost:${DEMO_SERVICE_PORT}/fc-callback`;
  const dataProvider = config.franceConnectData;

  const franceConnect = await startFranceConnectSandbox({
    host: fcUrl.hostname,
    port: Number(fcUrl.port || 80),
    logErrors: false,
    clients: [
      {
        client_id: config.franceConnect.clientId,
        client_secret: config.franceConnect.clientSecret,
        entity: config.franceConnect.clientId,
        redirect_uris: [config.franceConnect.redirectUri],
        post_logout_redirect_uris: [config.franceConnect.postLogoutRedirectUri],
      },
      {
        ...fcService,
        redirect_uris: [fcServiceRedirectUri],
        post_logout_redirect_uris: [],
      },
    ],
    // Passerelle as a data provider, in the entity of its own login client: the citizen's
    // pairwise sub is the same for both, so /me shows the API FranceConnectée's accesses.
    dataProviders: dataProvider
      ? [
          {
            client_id: dataProvider.clientId,
            client_secret: dataProvider.clientSecret,
            entity: config.franceConnect.clientId,
            ...(dataProvider.encryptionKey
              ? { encryption_jwks_uri: `${config.publicUrl}/api/v1/france-connect/jwks` }
              : {}),
          },
        ]
      : [],
  });
  const providers = await startDemoProviders({
    host: 'localhost',
    ports: DEMO_PORTS,
    gatewayJwksUrl: `${config.publicUrl}/.well-known/jwks.json`,
    gatewayIssuer: config.publicUrl,
  });

  const witness = config.dataDir.startsWith('memory://')
    ? null
    : await startWitness({
        port: DEMO_WITNESS_PORT,
        file: join(config.dataDir, 'witness.jsonl'),
        gatewayJwksUrl: `${config.publicUrl}/.well-known/jwks.json`,
      });

  // Filled once the registry is seeded; the shutdown hook closes whatever was started.
  const started_: { demoService?: DemoService } = {};
  const app = await createApp(config);
  await listenWithGracefulShutdown(app, config, async () => {
    await Promise.allSettled([
      franceConnect.close(),
      providers.close(),
      started_.demoService?.close(),
      witness?.close(),
    ]);
  });

  // Seed the registry through the operator API (idempotent across restarts).
  const admin = adminClient(config.publicUrl, config.operatorToken);
  const catalog = catalogWithUrls(providers);
  for (const p of catalog.providers) {
    const existing = await admin('GET', `/providers/${p.id}`);
    const body = { name: p.name, baseUrl: p.url, auth: p.auth, timeoutMs: 5000 };
    if (existing.status === 404)
      must(await admin('POST', '/providers', { id: p.id, ...body }), `provider ${p.id}`);
    else must(await admin('PATCH', `/providers/${p.id}`, body), `provider ${p.id}`);
  }
  for (const d of catalog.datasets) {
    const existing = await admin('GET', `/datasets/${d.id}`);
    const { id, ...rest } = d;
    const franceConnect = { franceConnectScope: franceConnectScope(id) };
    if (existing.status === 404)
      must(await admin('POST', '/datasets', { ...d, ...franceConnect }), `dataset ${id}`);
    else
      must(
        await admin('PATCH', `/datasets/${id}`, {
          ...rest,
          ...franceConnect,
          providerId: undefined,
        }),
        `dataset ${id}`,
      );
  }

  const redirectUri = `http://localhost:${DEMO_SERVICE_PORT}/callback`;
  const clientFile = join(config.dataDir, 'demo-client.json');
  let client: { client_id: string; client_secret: string; id: string } | undefined;
  if (existsSync(clientFile)) {
    const saved = JSON.parse(readFileSync(clientFile, 'utf8'));
    if ((await admin('GET', `/clients/${saved.client_id}`)).status === 200) {
      client = saved;
      // The demo service's port may have moved (DEMO_SERVICE_PORT): keep its redirect URI exact.
      must(
        await admin('PATCH', `/clients/${saved.client_id}`, {
          redirectUris: [redirectUri],
          franceConnectClientId: fcService.client_id,
        }),
        'demo client',
      );
    }
  }
  if (!client) {
    const created = must(
      await admin('POST', '/clients', {
        name: 'Démo — Aide au logement étudiant',
        siret: '21750001600019',
        contactEmail: 'demo@example.gouv.fr',
        redirectUris: [redirectUri],
        authMethod: 'client_secret_basic',
        franceConnectClientId: fcService.client_id,
      }),
      'demo client',
    );
    client = {
      id: String(created.id),
      client_id: String(created.clientId),
      client_secret: String(created.clientSecret),
    };
    writeFileSync(clientFile, JSON.stringify(client, null, 2) + '\n', { mode: 0o600 });
    must(
      await admin('POST', '/habilitations', {
        clientId: client.client_id,
        datasets: catalog.datasets.map((d) => d.id),
        purpose: 'Instruction des demandes d’aide au logement étudiant',
        legalBasis:
          'Code des relations entre le public et l’administration, articles L114-8 et R114-9-3',
        legalBasisUrl: 'https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000037419866',
        maxDurationDays: 365,
        allowPeriodic: true,
      }),
      'demo habilitation',
    );
  }

  const demoService = await startDemoService({
    port: DEMO_SERVICE_PORT,
    gatewayUrl: config.publicUrl,
    clientId: client.client_id,
    clientSecret: client.client_secret,
    datasets: catalog.datasets.map((d) => d.id),
    franceConnect: {
      issuer: franceConnect.issuer,
      clientId: fcService.client_id,
      clientSecret: fcService.client_secret,
      datasets: Object.fromEntries(catalog.datasets.map((d) => [d.id, franceConnectScope(d.id)])),
    },
  });
  started_.demoService = demoService;

  const demo = {
    gateway: config.publicUrl,
    franceconnect: franceConnect.issuer,
    providers: Object.fromEntries(catalog.providers.map((p) => [p.id, p.url])),
    providersSandboxToken: providers.sandboxToken,
    operatorToken: config.operatorToken,
    client: {
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uri: redirectUri,
    },
    fcServiceProvider: {
      client_id: fcService.client_id,
      client_secret: fcService.client_secret,
      redirect_uri: fcServiceRedirectUri,
      scopes: [...FC_IDENTITY_SCOPES, ...catalog.datasets.map((d) => franceConnectScope(d.id))],
    },
    demoService: demoService.url,
    auditWitness: witness ? { url: witness.url, file: witness.file } : null,
    datasets: catalog.datasets.map((d) => d.id),
    citizens: TEST_CITIZENS.map((c) => ({
      login: c.login,
      note: c.note,
      given_name: c.given_name,
      family_name: c.family_name,
      birthdate: c.birthdate,
      gender: c.gender,
      birthplace: c.birthplace,
      birthcountry: c.birthcountry,
      email: c.email,
    })),
  };
  const demoFile = config.dataDir.startsWith('memory://')
    ? null
    : join(config.dataDir, 'demo.json');
  if (demoFile) writeFileSync(demoFile, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });

  const db = config.databaseUrl
    ? 'PostgreSQL (DATABASE_URL)'
    : `embedded PostgreSQL in ${config.dataDir}`;
  process.stdout.write(
    [
      '',
      `Passerelle (demo) listening on ${config.publicUrl}   [ready in ${Date.now() - started} ms, ${db}]`,
      '',
      `  Try the journey      ${demoService.url}   (log in as: ${TEST_CITIZENS.map((c) => c.login).join(', ')}; any password)`,
      `  Citizen space        ${config.publicUrl}/me`,
      `  API docs (Swagger)   ${config.publicUrl}/docs`,
      `  FranceConnect        ${franceConnect.issuer}   (sandbox)`,
      `  Providers            ${Object.values(demo.providers).join('  ')}`,
      `  Operator token       ${config.operatorToken}`,
      `  Demo client          client_id=${client.client_id}  client_secret=${client.client_secret}`,
      witness ? `  Audit witness        ${witness.file}   (signed checkpoints, one per line)` : '',
      demoFile ? `  All of this in       ${demoFile}` : '',
      '',
    ].join('\n') + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `passerelle: ${err instanceof ConfigError ? err.message : `start failed: ${(err as Error).message}`}\n`,
  );
  process.exit(1);
});
