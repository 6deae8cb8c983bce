/**
 * The bench's floor (issue 14): the consented fetch's guarantees written plainly on `node:http`,
 * same libraries and primitives as the gateway, own process; the bench reports gateway/lean.
 * Per request: bearer token verified with jose (verified tokens remembered), ONE statement that
 * reads the consent and spends the budget (consent's readContextAndReserve), identity decrypted,
 * call intent durable before the identity leaves, ES256 assertion (Es256Signer), provider called
 * with axios, answer schema-checked, reduced (DatasetSchemas) and digested (keyed), outcome durable
 * before the answer. Audit rows hash-chained (SHA-256 of previous hash + canonical JSON) in their
 * own table, group-committed (whatever waits goes in one INSERT). Left out: what a framework
 * adds (routing, DTOs, middleware, logs, metrics, rate limits, breakers, drain, error pages).
 *
 * Its table `lean_audit` is created by the bench as the owner; it runs as the gateway's runtime
 * role. Environment: LEAN_PORT, DATABASE_URL (the bench's database, seeded through the gateway),
 * MASTER_KEY, GATEWAY_URL (issuer, audience and JWKS), LEAN_URL, LEAN_HEADER, LEAN_SECRET (the
 * provider's base URL and API key header), LEAN_DATASET.
 */
import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { Agent, createServer, type ServerResponse } from 'node:http';
import axios from 'axios';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { Pool } from 'pg';
import { canonicalJson } from '../src/audit/canonical-json.js';
import { keyedPayloadDigest } from '../src/audit/payload-digest.js';
import { decryptString } from '../src/common/crypto.js';
import { readContextAndReserve } from '../src/consent/fetch-budget.repository.js';
import { openSealedIdentity } from '../src/consent/identity-sealing.js';
import type { PrismaService } from '../src/database/prisma.service.js';
import { DatasetSchemas } from '../src/exchange/dataset-schemas.service.js';
import type { DatasetTarget, ProviderTarget } from '../src/exchange/exchange.types.js';
import { datasetUrl } from '../src/exchange/provider-answers.js';
import { Es256Signer } from '../src/signing/es256-signer.js';

function env(name: string): string {
  if (!process.env[name]) throw new Error(`${name} unset`);
  return process.env[name];
}
const gatewayUrl = env('GATEWAY_URL');
const masterKey = Buffer.from(env('MASTER_KEY'), 'base64');
const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 20 });
// readContextAndReserve only needs hotQuery: the same statement, on a plain pg pool.
const db = {
  hotQuery: async (q: { text: string; values: unknown[] }, o: { preparedAs?: string }) =>
    pool.query({ text: q.text, values: q.values, name: o.preparedAs }),
} as unknown as PrismaService;
const http = axios.create({
  httpAgent: new Agent({ keepAlive: true, maxSockets: 512 }),
  responseType: 'text',
  transformResponse: (x: unknown) => x,
  validateStatus: () => true,
  maxRedirects: 0,
  timeout: 10_000,
});
const schemas = new DatasetSchemas();

// ----------------------------------------------------------------- group-committed audit chain
let queue: Array<{ event: object; done: (err?: Error) => void }> = [];
let flushing = false;
let lastHash = '0'.repeat(64);

function audit(event: object): Promise<void> {
  return new Promise((resolve, reject) => {
    queue.push({ event, done: (err) => (err ? reject(err) : resolve()) });
    if (!flushing) void flush();
  });
}

async function flush(): Promise<void> {
  flushing = true;
  while (queue.length) {
    const batch = queue;
    queue = [];
    const values: unknown[] = [];
    const rows: string[] = [];
    let prev = lastHash;
    for (const { event } of batch) {
      const body = canonicalJson(event);
      const hash = createHash('sha256').update(prev).update(body).digest('hex');
      rows.push(`($${values.push(prev)}, $${values.push(body)}::jsonb, $${values.push(hash)})`);
      prev = hash;
    }
    try {
      // Autocommitted: durable (synchronous_commit) when it returns. A unique prev_hash keeps
      // the chain linear even if someone else wrote to it.
      await pool.query(`INSERT INTO lean_audit (prev_hash, body, hash) VALUES ${rows}`, values);
      lastHash = prev;
      for (const p of batch) p.done();
    } catch (err) {
      for (const p of batch) p.done(err as Error);
    }
  }
  flushing = false;
}

// ----------------------------------------------------------------------------- the fetch
const verified = new Map<string, { payload: JWTPayload; until: number }>();
const clients = new Map<string, { id: string; siret: string }>();
let jwks: ReturnType<typeof createLocalJWKSet>;
let signer: Es256Signer;
let dataset: DatasetTarget;
let provider: ProviderTarget;

async function bearer(header: string): Promise<JWTPayload | null> {
  const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header)?.[1];
  if (!token) return null;
  const hit = verified.get(token);
  if (hit && hit.until > Date.now()) return hit.payload;
  try {
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: ['ES256'],
      issuer: gatewayUrl,
      audience: gatewayUrl,
      typ: 'at+jwt',
      requiredClaims: ['exp', 'client_id'],
    });
    verified.set(token, { payload, until: Math.min(payload.exp! * 1000, Date.now() + 60_000) });
    return payload;
  } catch {
    return null;
  }
}

async function fetchData(res: ServerResponse, auth = '', consentId: string, datasetId: string) {
  const requestId = randomUUID();
  res.setHeader('x-request-id', requestId);
  const answer = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const token = await bearer(auth);
  if (!token) return answer(401, { code: 'invalid_token' });
  const clientId = token.client_id as string;
  let client = clients.get(clientId);
  if (!client) {
    const { rows } = await pool.query(
      `SELECT id::text, siret FROM client WHERE client_id = $1 AND status = 'active'`,
      [clientId],
    );
    if (!rows[0]) return answer(401, { code: 'invalid_token' });
    clients.set(clientId, (client = rows[0] as { id: string; siret: string }));
  }
  if (datasetId !== dataset.id) return answer(404, { code: 'dataset_not_found' });
  const at = new Date();
  const row = await readContextAndReserve(db, { consentId, datasetId, clientUuid: client.id, at });
  if (!row || row.clientUuid !== client.id) return answer(404, { code: 'consent_not_found' });
  if (!row.reserved) return answer(403, { code: 'consent_not_usable' });
  const identity = openSealedIdentity(masterKey, row.id, row);
  const event = { clientId, consentId: row.id, citizenId: row.citizenId, datasetId, requestId };
  await audit({ ...event, kind: 'provider.call', at: Date.now() });
  const iat = Math.floor(Date.now() / 1000);
  const time = { iss: gatewayUrl, iat, exp: iat + 60, aud: provider.id, jti: randomUUID() };
  const who = { client_id: clientId, recipient: client.siret, purpose: row.purpose };
  const claims = { consent_id: row.id, dataset: datasetId, ...who, ...time };
  const assertion = signer.signJson(claims, 'passerelle-assertion+jwt');
  const reply = await http.get<string>(datasetUrl(provider, dataset, identity), {
    headers: {
      [provider.authConfig.headerName as string]: provider.secret,
      'x-passerelle-assertion': assertion,
      'x-request-id': requestId,
    },
  });
  const reduced = reply.status === 200 ? schemas.parseValidateAndReduce(dataset, reply.data) : null;
  if (!reduced?.ok) {
    await audit({ ...event, kind: 'exchange.fetch_failed', at: Date.now() });
    return answer(502, { code: 'provider_error' });
  }
  const digest = keyedPayloadDigest(masterKey, reduced.data);
  await audit({ ...event, kind: 'exchange.fetch', payloadDigest: digest, at: Date.now() });
  const fetchedAt = new Date().toISOString();
  const provenance = { provider: provider.id, dataset: datasetId, fetchedAt, consentId, requestId };
  answer(200, { data: reduced.data, provenance });
}

async function main(): Promise<void> {
  const keys = await fetch(`${gatewayUrl}/.well-known/jwks.json`);
  jwks = createLocalJWKSet((await keys.json()) as JSONWebKeySet);
  const keySql = `SELECT kid, private_jwk_ciphertext AS ct FROM signing_key WHERE status = 'active'`;
  const { kid, ct } = (await pool.query(keySql)).rows[0];
  signer = new Es256Signer(kid, JSON.parse(decryptString(masterKey, ct, `signing-key:${kid}`)));
  const datasetSql = `SELECT id, provider_id AS "providerId", path, identity_params AS "identityParams",
    response_schema AS "responseSchema", fields, 'lean' AS "schemaVersion" FROM dataset WHERE id = $1`;
  dataset = (await pool.query(datasetSql, [env('LEAN_DATASET')])).rows[0];
  const [baseUrl, headerName, secret] = ['URL', 'HEADER', 'SECRET'].map((x) => env(`LEAN_${x}`));
  const auth = { authKind: 'api_key', authConfig: { headerName }, secret } as const;
  const limits = { timeoutMs: 1e4, maxConcurrency: 1e3, status: 'active' } as const;
  provider = { id: dataset.providerId, baseUrl, ...auth, ...limits };
  const route = /^\/api\/v1\/consents\/([^/]+)\/data\/([^/?]+)$/;
  createServer((req, res) => {
    const m = req.method === 'GET' ? route.exec(req.url ?? '') : null;
    if (req.url === '/health') return void res.end('ok');
    if (!m) return void res.writeHead(404).end();
    fetchData(res, req.headers.authorization, m[1], m[2]).catch(() => {
      if (!res.headersSent) res.writeHead(503).end('{"code":"unavailable"}');
    });
  }).listen(Number(env('LEAN_PORT')), '127.0.0.1');
  process.once('SIGTERM', () => process.exit(0)); // exits normally: a --cpu-prof is written
}

void main();
