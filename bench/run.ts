/**
 * `npm run bench`: what the gateway costs on top of the call it mediates, on this machine.
 *
 * One run starts everything it needs: a fresh PostgreSQL database on DATABASE_URL's server (or
 * the embedded PGlite when DATABASE_URL is unset), the demo providers (a separate process), the
 * FranceConnect sandbox (for the citizens' approvals only), and the gateway as a separate
 * production process (`node dist/src/main.js`, NODE_ENV=production, LOG_LEVEL=warn, rate limits
 * out of the way). It seeds through the operator API, has citizens approve periodic consents
 * through the real consent pages, then measures with autocannon:
 *
 *   direct           the demo provider itself, same identity parameters (the baseline)
 *   gateway          GET /api/v1/consents/{id}/data/{dataset}: the full consented fetch
 *   lean             the same fetch on bench/lean-reference.ts (same guarantees and libraries on
 *                    node:http, its own process; PostgreSQL only): the floor the gateway is
 *                    held to (gateway/lean printed beside gateway/direct)
 *   token            POST /oauth/token (client_secret_basic)
 *   consent_request  POST /api/v1/consent-requests
 *   latency          direct and gateway with the provider answering in 200 ms
 *   soak             the gateway fetch for BENCH_SOAK_SECONDS, memory sampled every second
 *   client_me        (only when asked for) GET /api/v1/clients/me: the framework's floor
 *
 * and checks that every successful fetch left exactly one audit event and that the audit chain
 * verifies: otherwise the run is marked INVALID. Prints a table; writes
 * bench/results/<timestamp>.json.
 *
 * Settings (environment): BENCH_DURATION (s per run, 10), BENCH_CONCURRENCY (1,16,64,256),
 * BENCH_SOAK_SECONDS (60; 0 skips), BENCH_CONSENTS (12, spread over 3 citizens), BENCH_SCENARIOS (all by default), BENCH_PROFILE=1 (the
 * gateway writes a V8 CPU profile to bench/results/), BENCH_ROUNDS (1: the gateway and the lean
 * reference run that many times at each concurrency, alternating, and the report gives the
 * median of their ratios), DATABASE_URL, REDIS_URL.
 *
 * Over ~350 lines on purpose: one run's scenarios, their audit check and the report are read
 * together; the process plumbing and the report's layout live apart (./processes.ts, ./report.ts).
 */
import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { readOutcome } from '../src/audit/index.js';
import { TEST_CITIZENS } from '../sandbox/citizens.js';
import { canonicalJson } from '../src/audit/canonical-json.js';
import { startFranceConnectSandbox } from '../sandbox/franceconnect/server.js';
import {
  DEMO_CATALOG,
  IDENTITY_QUERY_PARAMS,
  type IdentityClaim,
} from '../sandbox/providers/catalog.js';
import {
  CNAF_API_KEY_HEADER,
  DEFAULT_DEMO_SECRETS,
  PROVIDER_IDS,
  SANDBOX_TOKEN_HEADER,
  type ProviderId,
} from '../sandbox/providers/server.js';
import { runLoad, type LoadRequest, type LoadResult } from './load.js';
import { freePort, RssSampler, startChild, waitReady, type Child } from './processes.js';
import {
  accessToken,
  approvedConsent,
  basicAuthorization,
  consentRequestBody,
  operator,
  seedRegistry,
} from './seed.js';
import { printReport, runLabel, type BenchReport } from './report.js';

const RESULTS_DIR = join(process.cwd(), 'bench', 'results');
/** The build this script belongs to (dist/ normally): the gateway and providers come from it too. */
const DIST = dirname(dirname(resolve(process.argv[1])));
const DATASET = 'cnaf.quotient_familial';
/** Citizens the CNAF demo provider knows. */
const CITIZENS = ['angela', 'helene', 'camille'];
const SLOW_PROVIDER_MS = 200;
const ALL_SCENARIOS = ['direct', 'gateway', 'lean', 'token', 'consent_request', 'latency', 'soak'];

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

const settings = {
  durationSeconds: intEnv('BENCH_DURATION', 10),
  concurrencies: (process.env.BENCH_CONCURRENCY ?? '1,16,64,256').split(',').map(Number),
  soakSeconds: intEnv('BENCH_SOAK_SECONDS', 60),
  consents: Math.max(1, intEnv('BENCH_CONSENTS', 12)),
  /** >1: the gateway runs as that many processes on one port (bench/gateway-cluster.ts). */
  gatewayProcesses: Math.max(1, intEnv('BENCH_GATEWAY_PROCESSES', 1)),
  warmupSeconds: intEnv('BENCH_WARMUP', 3),
  /** Gateway and lean reference runs per concurrency, alternating (the ratio's spread). */
  rounds: Math.max(1, intEnv('BENCH_ROUNDS', 1)),
  scenarios: (process.env.BENCH_SCENARIOS ?? ALL_SCENARIOS.join(',')).split(','),
  profile: process.env.BENCH_PROFILE === '1',
  databaseServer: process.env.DATABASE_URL || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
};

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** Identity query string the provider expects for a test citizen (what the gateway sends). */
function identityQuery(login: string): string {
  const citizen = TEST_CITIZENS.find((c) => c.login === login)!;
  const dataset = DEMO_CATALOG.datasets.find((d) => d.id === DATASET)!;
  const params = new URLSearchParams();
  for (const claim of Object.keys(dataset.identityParams) as IdentityClaim[]) {
    params.set(IDENTITY_QUERY_PARAMS[claim], String(citizen[claim]));
  }
  return params.toString();
}

interface Database {
  url?: string;
  /** The owner (migrations); `url` is then the runtime role. */
  ownerUrl?: string;
  dataDir?: string;
  drop(): Promise<void>;
}

async function benchDatabase(): Promise<Database> {
  if (!settings.databaseServer) {
    const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-bench-'));
    return { dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `passerelle_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  // As production runs (issue 11): the server's user owns and migrates, the gateway runs as a
  // runtime role with INSERT and SELECT only on the audit log.
  const role = `${name}_rt`;
  const password = randomBytes(12).toString('hex');
  const admin = new Client({ connectionString: settings.databaseServer });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await admin.end();
  const url = new URL(settings.databaseServer);
  url.pathname = `/${name}`;
  const ownerUrl = url.toString();
  url.username = role;
  url.password = password;
  return {
    url: url.toString(),
    ownerUrl,
    drop: async () => {
      const c = new Client({ connectionString: settings.databaseServer });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${role}`);
      await c.end();
    },
  };
}

interface AuditCheck {
  valid: boolean;
  fetches2xx: number;
  auditedOk: number;
  missing: number;
  duplicated: number;
  /** Audited successes whose answer the load generator never read (cut at the end of a run). */
  unanswered: number;
  unansweredAllowed: number;
  outcomes: Record<string, number>;
  chain: { ok: boolean; checked: number; durationMs?: number; broken?: unknown };
  reasons: string[];
}

/** Served or done (src/audit/audit-outcome.ts). */
const isOk = (outcome: string) => readOutcome(outcome) === 'done';

async function checkAudit(
  op: ReturnType<typeof operator>,
  clientId: string,
  answered: string[],
  unansweredAllowed: number,
): Promise<AuditCheck> {
  const okByRequest = new Map<string, number>();
  const outcomes: Record<string, number> = {};
  let before: string | null = null;
  do {
    const query = new URLSearchParams({ kind: 'exchange.', clientId, limit: '500' });
    if (before) query.set('before', before);
    const page: {
      items: Array<{ kind: string; outcome: string; requestId: string | null }>;
      nextBefore: string | null;
    } = await op.must('GET', `/audit?${query}`);
    for (const e of page.items) {
      const key = `${e.kind}:${e.outcome}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (isOk(e.outcome) && e.requestId) {
        okByRequest.set(e.requestId, (okByRequest.get(e.requestId) ?? 0) + 1);
      }
    }
    before = page.nextBefore;
  } while (before);
  const answeredSet = new Set(answered);
  let missing = 0;
  for (const id of answeredSet) if (!okByRequest.has(id)) missing++;
  let duplicated = 0;
  let unanswered = 0;
  let auditedOk = 0;
  for (const [id, n] of okByRequest) {
    auditedOk += n;
    if (n > 1) duplicated++;
    if (!answeredSet.has(id)) unanswered++;
  }
  const chain = await op.must<AuditCheck['chain']>('POST', '/audit/verify');
  const reasons: string[] = [];
  if (answeredSet.size !== answered.length) reasons.push('the gateway reused request ids');
  if (missing) reasons.push(`${missing} successful fetches have no audit event`);
  if (duplicated) reasons.push(`${duplicated} fetches have more than one audit event`);
  if (unanswered > unansweredAllowed) {
    reasons.push(
      `${unanswered} audited fetches were never answered (more than the ${unansweredAllowed} cut at run ends)`,
    );
  }
  if (!chain.ok) reasons.push('the audit chain does not verify');
  return {
    valid: reasons.length === 0,
    fetches2xx: answered.length,
    auditedOk,
    missing,
    duplicated,
    unanswered,
    unansweredAllowed,
    outcomes,
    chain,
    reasons,
  };
}

/**
 * The lean reference's audit, held to the same rule: one `exchange.fetch` row per answered
 * fetch (by request id), and its hash chain recomputed from the first row.
 */
async function checkLeanAudit(databaseUrl: string, answered: string[]): Promise<string[]> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ prev_hash: string; body: object; hash: string }>(
      'SELECT prev_hash, body, hash FROM lean_audit ORDER BY seq',
    );
    const reasons: string[] = [];
    let prev = '0'.repeat(64);
    const ok = new Map<string, number>();
    for (const row of rows) {
      const hash = createHash('sha256').update(prev).update(canonicalJson(row.body)).digest('hex');
      if (row.prev_hash !== prev || row.hash !== hash) {
        reasons.push('the lean reference audit chain does not verify');
        break;
      }
      prev = hash;
      const e = row.body as { kind: string; requestId: string };
      if (e.kind === 'exchange.fetch') ok.set(e.requestId, (ok.get(e.requestId) ?? 0) + 1);
    }
    const missing = answered.filter((id) => ok.get(id) !== 1).length;
    if (missing) reasons.push(`${missing} lean fetches without exactly one audit row`);
    log(
      `lean audit: ${answered.length} answered, ${rows.length} rows, ${reasons.length ? reasons.join('; ') : 'chain verifies, one row each'}`,
    );
    return reasons;
  } finally {
    await c.end();
  }
}

async function setProviderLatency(
  url: string,
  sandboxToken: string,
  delayMs: number,
): Promise<void> {
  const res = await fetch(`${url}/__sandbox/mode`, {
    method: 'POST',
    headers: { [SANDBOX_TOKEN_HEADER]: sandboxToken, 'content-type': 'application/json' },
    body: JSON.stringify(delayMs > 0 ? { mode: 'slow', delayMs } : { mode: 'normal' }),
  });
  if (!res.ok) throw new Error(`provider mode refused: ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  if (!existsSync(join(DIST, 'src', 'main.js'))) {
    throw new Error(`${DIST}/src/main.js is missing: run \`npm run bench\` (it builds first)`);
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const children: Child[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const c of children.reverse()) await c.stop().catch(() => undefined);
    for (const f of cleanups.reverse()) await f().catch(() => undefined);
  };
  process.once('SIGINT', () => {
    log('interrupted, cleaning up');
    void cleanup().then(() => process.exit(130));
  });

  try {
    const db = await benchDatabase();
    cleanups.push(() => db.drop());
    log(
      db.url
        ? `PostgreSQL database ${new URL(db.url).pathname.slice(1)}`
        : `embedded PGlite in ${db.dataDir}`,
    );

    // Demo providers, in their own process. The gateway's assertion header is not required
    // (no JWKS URL): the direct baseline cannot carry one, and the provider must do the same
    // work for both. The gateway still signs an assertion for every call.
    const providerPorts = {} as Record<ProviderId, number>;
    for (const id of PROVIDER_IDS) providerPorts[id] = await freePort();
    const sandboxToken = randomBytes(24).toString('base64url');
    const providerEnv: Record<string, string> = {
      PROVIDERS_HOST: '127.0.0.1',
      PROVIDERS_SANDBOX_TOKEN: sandboxToken,
    };
    for (const id of PROVIDER_IDS)
      providerEnv[`PROVIDER_${id.toUpperCase()}_PORT`] = String(providerPorts[id]);
    const providers = startChild(
      'providers',
      [join(DIST, 'sandbox', 'providers', 'main.js')],
      providerEnv,
    );
    children.push(providers);
    const providerUrls = {} as Record<ProviderId, string>;
    for (const id of PROVIDER_IDS) {
      providerUrls[id] = `http://127.0.0.1:${providerPorts[id]}`;
      await waitReady(providers, `${providerUrls[id]}/health`);
    }

    // FranceConnect sandbox (in this process: only the approvals use it, before the load).
    const gatewayPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const fcSecret = randomBytes(24).toString('base64url');
    const fc = await startFranceConnectSandbox({
      host: '127.0.0.1',
      logErrors: false,
      clients: [
        {
          client_id: 'passerelle-bench',
          client_secret: fcSecret,
          redirect_uris: [`${gatewayUrl}/auth/callback`],
          post_logout_redirect_uris: [`${gatewayUrl}/auth/logged-out`],
        },
      ],
    });
    cleanups.push(() => fc.close());

    const operatorToken = randomBytes(24).toString('base64url');
    const gatewayEnv: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(gatewayPort),
      PUBLIC_URL: gatewayUrl,
      // Plain http on the loopback, as behind a TLS-terminating proxy.
      ALLOW_HTTP_BEHIND_TLS_PROXY: 'true',
      TRUST_PROXY: 'true',
      // The sandboxes listen on this machine.
      OUTBOUND_ALLOW_LIST: 'localhost,127.0.0.1',
      MASTER_KEY: randomBytes(32).toString('base64'),
      OPERATOR_TOKEN: operatorToken,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      FC_ISSUER: fc.issuer,
      FC_CLIENT_ID: 'passerelle-bench',
      FC_CLIENT_SECRET: fcSecret,
      // Measure the gateway, not its rate limiter's refusals (the guard still runs).
      RATE_LIMIT_PER_MINUTE: '10000000',
      RATE_LIMIT_TOKEN_PER_MINUTE: '10000000',
      RATE_LIMIT_TOKEN_PER_ADDRESS_PER_MINUTE: '10000000',
      ACCESS_TOKEN_TTL_SECONDS: '600',
    };
    if (db.url) {
      gatewayEnv.DATABASE_URL = db.url;
      gatewayEnv.MIGRATION_DATABASE_URL = db.ownerUrl!;
    } else {
      // The embedded database is a demo-mode feature; NODE_ENV stays production.
      gatewayEnv.PASSERELLE_MODE = 'demo';
      gatewayEnv.DATA_DIR = db.dataDir!;
    }
    if (settings.redisUrl) {
      const prefix = `passerelle-bench:${randomBytes(4).toString('hex')}:`;
      gatewayEnv.REDIS_URL = settings.redisUrl;
      gatewayEnv.REDIS_KEY_PREFIX = prefix;
      cleanups.push(async () => {
        const { Redis } = await import('ioredis');
        const redis = new Redis(settings.redisUrl!);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
      });
    }
    // BENCH_GATEWAY_NODE_OPTIONS: extra flags for the node of the gateway and of the lean reference
    // (e.g. GC sizing experiments, applied to both so that their ratio stays a fair one).
    const extraNodeArgs = (process.env.BENCH_GATEWAY_NODE_OPTIONS ?? '')
      .split(/\s+/)
      .filter(Boolean);
    const profiled = (name: string) =>
      settings.profile
        ? [
            `--cpu-prof`,
            `--cpu-prof-dir=${RESULTS_DIR}`,
            `--cpu-prof-name=${name}-${stamp}.cpuprofile`,
          ]
        : [];
    const nodeArgs = profiled('gateway');
    const clustered = settings.gatewayProcesses > 1;
    const gateway = startChild(
      'gateway',
      clustered
        ? [join(DIST, 'bench', 'gateway-cluster.js')]
        : [...extraNodeArgs, ...nodeArgs, join(DIST, 'src', 'main.js')],
      clustered
        ? { ...gatewayEnv, BENCH_GATEWAY_PROCESSES: String(settings.gatewayProcesses) }
        : gatewayEnv,
    );
    children.push(gateway);
    await waitReady(gateway, `${gatewayUrl}/health/ready`, 120_000);
    // All the gateway's processes (the cluster's primary and its workers) count as the gateway.
    let gatewayPids = [gateway.pid];
    if (clustered) {
      const line = /^workers ([\d ]+)$/m.exec(gateway.tail());
      if (!line) throw new Error(`gateway cluster did not name its workers:\n${gateway.tail()}`);
      // Workers first: the memory figures follow the first one.
      gatewayPids = [...line[1].split(' ').map(Number), gateway.pid];
      // Every worker listening before the load, not just the one that answered.
      const deadline = Date.now() + 120_000;
      while ((gateway.tail().match(/^listening \d+$/gm) ?? []).length < settings.gatewayProcesses) {
        if (Date.now() > deadline)
          throw new Error(`gateway workers not all up:\n${gateway.tail()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    log(`gateway pid ${gatewayPids.join(', ')} ready at ${gatewayUrl}`);

    // Registry, client, consents.
    const op = operator(gatewayUrl, operatorToken);
    const client = await seedRegistry(op, gatewayUrl, providerUrls, 1000);
    const seedToken = await accessToken(gatewayUrl, client);
    const consents: Array<{ login: string; consentId: string }> = [];
    // Several consents per citizen: a real load spreads over many consents, and fetches of one
    // consent serialize on its row (the budget's conditional UPDATE).
    for (let i = 0; i < settings.consents; i++) {
      const login = CITIZENS[i % CITIZENS.length];
      consents.push({
        login,
        consentId: await approvedConsent(gatewayUrl, client, seedToken, login, [DATASET]),
      });
    }
    log(`seeded: client ${client.clientId}, ${consents.length} approved periodic consents`);

    // The lean reference: its own process on the same database, keys and provider.
    let leanUrl: string | null = null;
    let lean: Child | null = null;
    if (settings.scenarios.includes('lean')) {
      if (!db.url) log('lean reference skipped: it needs PostgreSQL (DATABASE_URL)');
      else {
        // As the owner, like a migration; the lean reference runs as the gateway's runtime role
        // and may only INSERT and SELECT on its audit table, as the gateway on its own.
        const owner = new Client({ connectionString: db.ownerUrl });
        await owner.connect();
        const role = new URL(db.url).username;
        await owner.query(`CREATE TABLE lean_audit (seq bigserial PRIMARY KEY,
          prev_hash text NOT NULL UNIQUE, body jsonb NOT NULL, hash text NOT NULL)`);
        await owner.query(`GRANT SELECT, INSERT ON lean_audit TO ${role}`);
        await owner.query(`GRANT USAGE ON SEQUENCE lean_audit_seq_seq TO ${role}`);
        await owner.end();
        const leanPort = await freePort();
        leanUrl = `http://127.0.0.1:${leanPort}`;
        lean = startChild(
          'lean',
          [...extraNodeArgs, ...profiled('lean'), join(DIST, 'bench', 'lean-reference.js')],
          {
            LEAN_PORT: String(leanPort),
            DATABASE_URL: db.url,
            MASTER_KEY: gatewayEnv.MASTER_KEY,
            GATEWAY_URL: gatewayUrl,
            LEAN_URL: providerUrls.cnaf,
            LEAN_HEADER: CNAF_API_KEY_HEADER,
            LEAN_SECRET: DEFAULT_DEMO_SECRETS.cnafApiKey,
            LEAN_DATASET: DATASET,
          },
        );
        children.push(lean);
        await waitReady(lean, `${leanUrl}/health`);
      }
    }

    const cnafPath = DEMO_CATALOG.datasets.find((d) => d.id === DATASET)!.path;
    // The same citizens in the same order as the gateway's fetches.
    const directRequests: LoadRequest[] = consents.map(({ login }) => ({
      path: `${cnafPath}?${identityQuery(login)}`,
      headers: { [CNAF_API_KEY_HEADER]: DEFAULT_DEMO_SECRETS.cnafApiKey },
    }));
    const freshToken = async () => accessToken(gatewayUrl, client);
    const gatewayRequests = async (): Promise<LoadRequest[]> => {
      const token = await freshToken();
      return consents.map((c) => ({
        path: `/api/v1/consents/${c.consentId}/data/${DATASET}`,
        headers: { authorization: `Bearer ${token}` },
      }));
    };
    const watch: Record<string, number | number[]> = {
      gateway: gatewayPids,
      providers: providers.pid,
    };
    if (lean) watch.lean = lean.pid;
    const results: LoadResult[] = [];
    const answeredFetches: string[] = [];
    const answeredLean: string[] = [];
    let gatewayConnectionsTotal = 0;

    const run = async (
      scenario: string,
      url: string,
      connections: number,
      durationSeconds: number,
      requests: LoadRequest[] | (() => Promise<LoadRequest[]>),
      record = true,
      round?: number,
    ): Promise<LoadResult> => {
      const isFetch = url === gatewayUrl && scenario.startsWith('gateway');
      const isLean = url === leanUrl;
      const result = await runLoad({
        name: scenario,
        url,
        connections,
        durationSeconds,
        requests: Array.isArray(requests) ? requests : [],
        prepare: Array.isArray(requests) ? undefined : requests,
        watch,
        collectRequestIds: isFetch || isLean,
      });
      if (round !== undefined) result.round = round;
      if (isLean) {
        answeredLean.push(...(result.requestIds ?? []));
        delete result.requestIds;
      }
      if (isFetch) {
        answeredFetches.push(...(result.requestIds ?? []));
        gatewayConnectionsTotal += connections;
        delete result.requestIds;
      }
      log(
        `${runLabel(result).padEnd(18)} c=${String(connections).padStart(3)}  ${result.rps.toFixed(0).padStart(6)} req/s  ` +
          `p50 ${result.latencyMs.p50.toFixed(2)} ms  p99 ${result.latencyMs.p99.toFixed(2)} ms  ` +
          `errors ${result.non2xx + result.errors}  ` +
          `(window opened ${result.rampMs.toFixed(0)} ms in, ${result.connectionsAnswered}/${connections} connections answered)`,
      );
      if (record) results.push(result);
      return result;
    };

    const want = (s: string) => settings.scenarios.includes(s);
    if (settings.warmupSeconds > 0) {
      log(`warming up (${settings.warmupSeconds} s each)`);
      if (want('direct'))
        await run('direct', providerUrls.cnaf, 16, settings.warmupSeconds, directRequests, false);
      if (want('gateway'))
        await run('gateway', gatewayUrl, 16, settings.warmupSeconds, gatewayRequests, false);
      if (leanUrl) await run('lean', leanUrl, 16, settings.warmupSeconds, gatewayRequests, false);
    }
    for (const c of settings.concurrencies) {
      if (want('direct'))
        await run('direct', providerUrls.cnaf, c, settings.durationSeconds, directRequests);
      // The gateway and the lean reference alternate, and the later rounds swap who goes first:
      // runs minutes apart on a shared machine differ more than the two do (README).
      for (let round = 1; round <= settings.rounds; round++) {
        const tag = settings.rounds > 1 ? round : undefined;
        const pair: Array<[string, string | null]> = [
          ['gateway', want('gateway') ? gatewayUrl : null],
          ['lean', leanUrl],
        ];
        if (round % 2 === 0) pair.reverse();
        for (const [name, url] of pair) {
          if (url) await run(name, url, c, settings.durationSeconds, gatewayRequests, true, tag);
        }
      }
      // Not in the default set: the framework's floor (bearer check only, no database, no
      // provider), for profiling what every request pays.
      if (want('client_me')) {
        await run('client_me', gatewayUrl, c, settings.durationSeconds, async () => [
          {
            path: '/api/v1/clients/me',
            headers: { authorization: `Bearer ${await freshToken()}` },
          },
        ]);
      }
      if (want('token')) {
        await run('token', gatewayUrl, c, settings.durationSeconds, [
          {
            method: 'POST',
            path: '/oauth/token',
            headers: {
              authorization: basicAuthorization(client.clientId, client.clientSecret),
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: 'grant_type=client_credentials',
          },
        ]);
      }
      if (want('consent_request')) {
        await run('consent_request', gatewayUrl, c, settings.durationSeconds, async () => [
          {
            method: 'POST',
            path: '/api/v1/consent-requests',
            headers: {
              authorization: `Bearer ${await freshToken()}`,
              'content-type': 'application/json',
            },
            body: consentRequestBody(client, [DATASET]),
          },
        ]);
      }
    }

    if (want('latency')) {
      await setProviderLatency(providerUrls.cnaf, sandboxToken, SLOW_PROVIDER_MS);
      for (const c of [64, 256]) {
        await run(
          `direct+${SLOW_PROVIDER_MS}ms`,
          providerUrls.cnaf,
          c,
          settings.durationSeconds,
          directRequests,
        );
        await run(
          `gateway+${SLOW_PROVIDER_MS}ms`,
          gatewayUrl,
          c,
          settings.durationSeconds,
          gatewayRequests,
        );
        if (leanUrl) {
          const name = `lean+${SLOW_PROVIDER_MS}ms`;
          await run(name, leanUrl, c, settings.durationSeconds, gatewayRequests);
        }
      }
      await setProviderLatency(providerUrls.cnaf, sandboxToken, 0);
    }

    let soak: BenchReport['soak'] = null;
    if (want('soak') && settings.soakSeconds > 0) {
      const sampler = new RssSampler(gatewayPids[0], 1000);
      const result = await run(
        'gateway (soak)',
        gatewayUrl,
        64,
        settings.soakSeconds,
        gatewayRequests,
      );
      sampler.stop();
      const half = Math.floor(sampler.samples.length / 2);
      const avg = (xs: Array<{ mib: number }>) => xs.reduce((s, x) => s + x.mib, 0) / xs.length;
      soak = {
        seconds: settings.soakSeconds,
        rps: result.rps,
        rssMiB: sampler.samples.map((s) => Math.round(s.mib * 10) / 10),
        firstHalfAvgMiB: avg(sampler.samples.slice(0, half)),
        secondHalfAvgMiB: avg(sampler.samples.slice(half)),
      };
    }

    log('checking the audit log');
    const audit = await checkAudit(op, client.clientId, answeredFetches, gatewayConnectionsTotal);
    if (lean && db.url) {
      const reasons = await checkLeanAudit(db.url, answeredLean);
      audit.reasons.push(...reasons);
      audit.valid &&= reasons.length === 0;
    }

    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        node: process.version,
      },
      setup: {
        database: db.url ? 'postgresql' : 'pglite',
        redis: Boolean(settings.redisUrl),
        durationSeconds: settings.durationSeconds,
        concurrencies: settings.concurrencies,
        consents: consents.length,
        dataset: DATASET,
        providerLatencyScenarioMs: SLOW_PROVIDER_MS,
        profile: settings.profile ? join(RESULTS_DIR, `gateway-${stamp}.cpuprofile`) : null,
      },
      results,
      soak,
      audit,
      valid: audit.valid,
    };
    printReport(report);
    const file = join(RESULTS_DIR, `${stamp}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    log(`results written to ${file}`);
    await cleanup();
    if (settings.profile)
      log(`CPU profiles: ${report.setup.profile} (and lean-${stamp}.cpuprofile)`);
    process.exit(report.valid ? 0 : 2);
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    await cleanup();
    process.exit(1);
  }
}

void main();
