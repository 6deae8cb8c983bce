/**
 * Adversarial suite — a bounded, OpenAPI-driven fuzzer. For every operation of /docs-json: no,
 * garbage and valid credentials; then, with valid credentials, mutated path parameters, query
 * parameters, bodies and content types. A few thousand requests on the loopback, rate limits
 * raised for the run, deterministic (no randomness: a failure replays the same way).
 *
 * It passes when no answer is a 5xx and every error answer has the documented shape:
 * problem+json with a `code` (RFC 6749's JSON `{error}` on the token endpoint, French HTML on the
 * citizen pages, which the document leaves out and which are probed apart at the end).
 */
import { randomUUID } from 'node:crypto';
import { startCitizenStack, type CitizenStack } from '../support/browser.js';
import { approvedConsent, pendingRequest, type ConsentClient } from '../support/consent.js';
import type { TestGateway } from '../support/gateway.js';

type Json = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: string; schema?: Json }[];
  body?: { contentType: string; schema: Json };
}
interface Probe {
  what: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  expect: 'problem' | 'oauth' | 'html';
}

const MAX_REQUESTS = 4000;
const CONCURRENCY = 8;

/** Path values an attacker would try in place of an id. */
const PATH_MUTATIONS = [
  randomUUIDFixed(),
  "1' OR '1'='1",
  '%00',
  '..%2F..%2Fadmin',
  'x'.repeat(300),
  '%E2%80%AE',
  '-1',
  '%7B%7D',
  '%C3%28',
];
const QUERY_MUTATIONS = [
  '',
  'x'.repeat(3000),
  '-1',
  '99999999999999999999',
  '%00',
  "' OR 1=1--",
  'a&b',
];
const CONTENT_TYPES: [string, string][] = [
  ['text/plain', '{"a":1}'],
  ['application/x-www-form-urlencoded', 'a=b&c=d'],
  ['application/xml', '<?xml version="1.0"?><a>1</a>'],
  ['application/json', '{"unterminated": '],
  ['application/json; charset=latin1', '{"a":1}'],
  [
    'multipart/form-data; boundary=x',
    '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
  ],
];

function randomUUIDFixed(): string {
  return '2c1f7a52-9a43-4f6e-9f0b-6a1d5e0c9b11';
}

describe('security: OpenAPI-driven fuzzer', () => {
  let stack: CitizenStack;
  let gw: TestGateway;
  let c: ConsentClient;
  let ids: { consentId: string; requestId: string; habilitationId: string; pendingId: string };
  let doc: Json;

  beforeAll(async () => {
    // The real sandboxes (FranceConnect, demo providers): a valid call must succeed, not 502.
    stack = await startCitizenStack({
      env: {
        RATE_LIMIT_PER_MINUTE: '10000000',
        RATE_LIMIT_TOKEN_PER_MINUTE: '10000000',
        RATE_LIMIT_TOKEN_PER_ADDRESS_PER_MINUTE: '10000000',
        LOG_LEVEL: 'error',
      },
    });
    gw = stack.gw;
    const client = stack.registry.client;
    c = {
      client: {
        id: client.id,
        clientId: client.clientId,
        clientSecret: client.clientSecret ?? '',
        authMethod: 'client_secret_basic',
      },
      token: await stack.token(),
      habilitationId: stack.registry.habilitation.id,
      redirectUri: stack.service.redirectUri,
    };
    const approved = await approvedConsent(gw, c);
    const pending = await pendingRequest(gw, c);
    ids = {
      consentId: approved.consentId,
      requestId: approved.requestId,
      habilitationId: c.habilitationId,
      pendingId: pending.id,
    };
    doc = (await (await fetch(`${gw.url}/docs-json`)).json()) as Json;
  });
  afterAll(async () => {
    await stack?.close();
  });

  function operations(): Operation[] {
    const out: Operation[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, raw] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const op = raw as Json;
        const content = (op.requestBody as Json | undefined)?.content as
          Record<string, Json> | undefined;
        const [contentType, media] = content ? Object.entries(content)[0] : [];
        out.push({
          method: method.toUpperCase(),
          path,
          parameters: ((op.parameters as Operation['parameters']) ?? []).filter((p) =>
            ['path', 'query'].includes(p.in),
          ),
          body: contentType ? { contentType, schema: (media?.schema as Json) ?? {} } : undefined,
        });
      }
    }
    // Reads and client calls first, then the operator's writes (they may break the registry the
    // fetches rely on: a provider's URL replaced by a sample one answers 502, rightly), deletions
    // and key rotation last.
    const weight = (o: Operation) =>
      o.method === 'DELETE' || o.path.includes('rotate')
        ? 3
        : o.path.startsWith('/api/v1/admin') && o.method !== 'GET'
          ? 2
          : o.method === 'GET'
            ? 0
            : 1;
    return out.sort((a, b) => weight(a) - weight(b));
  }

  function resolve(schema: Json | undefined): Json {
    let s = schema ?? {};
    for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
      const name = (s.$ref as string).split('/').pop()!;
      s = ((doc.components as Json).schemas as Record<string, Json>)[name] ?? {};
    }
    return s;
  }

  /** A plausible value for a schema (valid enough to reach the handler's own checks). */
  function sample(schema: Json | undefined, depth = 0): unknown {
    const s = resolve(schema);
    if (s.example !== undefined) return s.example;
    if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
    const composite = (s.oneOf ?? s.anyOf ?? s.allOf) as Json[] | undefined;
    if (composite?.length) return sample(composite[0], depth + 1);
    if (depth > 6) return null;
    switch (s.type) {
      case 'string':
        if (s.format === 'uri') return 'https://service.example.fr/retour';
        if (s.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
        if (s.format === 'uuid') return randomUUID();
        if (s.format === 'email') return 'dpo@example.fr';
        return 'valeur de test';
      case 'integer':
      case 'number':
        return typeof s.minimum === 'number' ? s.minimum : 1;
      case 'boolean':
        return true;
      case 'array':
        return [sample(s.items as Json, depth + 1)];
      default: {
        const out: Json = {};
        for (const [k, v] of Object.entries((s.properties as Record<string, Json>) ?? {})) {
          out[k] = sample(v, depth + 1);
        }
        return out;
      }
    }
  }

  function validPathValue(path: string, name: string): string {
    if (name === 'datasetId') return 'cnaf.quotient_familial';
    if (name === 'consentId') return ids.consentId;
    if (path.includes('/admin/providers')) return 'cnaf';
    if (path.includes('/admin/datasets')) return 'cnaf.quotient_familial';
    if (path.includes('/admin/clients')) return c.client.clientId;
    if (path.includes('/admin/habilitations')) return ids.habilitationId;
    if (path.includes('consent-requests')) return ids.requestId;
    if (path.includes('consents')) return ids.consentId;
    return randomUUIDFixed();
  }

  function credentialsFor(path: string): Record<string, string> {
    if (path.startsWith('/api/v1/admin'))
      return { authorization: `Bearer ${gw.config.operatorToken}` };
    if (path === '/oauth/token' || !path.startsWith('/api/')) return {};
    return { authorization: `Bearer ${c.token}` };
  }

  function buildPath(op: Operation, override: Record<string, string> = {}): string {
    return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
      name in override ? override[name] : encodeURIComponent(validPathValue(op.path, name)),
    );
  }

  function probesFor(op: Operation): Probe[] {
    const expect: Probe['expect'] = op.path === '/oauth/token' ? 'oauth' : 'problem';
    const form = op.body?.contentType === 'application/x-www-form-urlencoded';
    const validBody = op.body
      ? form
        ? new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: c.client.clientId,
            client_secret: c.client.clientSecret,
          }).toString()
        : JSON.stringify(sample(op.body.schema))
      : undefined;
    const base = (what: string, extra: Partial<Probe> = {}): Probe => ({
      what: `${op.method} ${op.path} ${what}`,
      method: op.method,
      url: buildPath(op),
      headers: {
        ...credentialsFor(op.path),
        ...(op.body ? { 'content-type': op.body.contentType } : {}),
      },
      body: validBody,
      expect,
      ...extra,
    });
    const probes: Probe[] = [
      base('valid'),
      base('no credentials', { headers: op.body ? { 'content-type': op.body.contentType } : {} }),
      base('garbage bearer', {
        headers: { ...base('').headers, authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' },
      }),
      base('garbage basic', { headers: { ...base('').headers, authorization: 'Basic !!!' } }),
    ];
    for (const p of op.parameters.filter((x) => x.in === 'path')) {
      for (const value of PATH_MUTATIONS) {
        probes.push(
          base(`path ${p.name}=${value.slice(0, 20)}`, { url: buildPath(op, { [p.name]: value }) }),
        );
      }
    }
    const queries = [
      ...op.parameters.filter((x) => x.in === 'query').map((p) => p.name),
      'unknown',
    ];
    for (const name of queries) {
      for (const value of QUERY_MUTATIONS) {
        const sep = base('').url.includes('?') ? '&' : '?';
        probes.push(
          base(`query ${name}=${value.slice(0, 20)}`, {
            url: `${buildPath(op)}${sep}${encodeURIComponent(name)}=${value.includes('%') ? value : encodeURIComponent(value)}`,
          }),
        );
      }
    }
    if (op.body) {
      const bodies: [string, string][] = form
        ? [
            ['empty form', ''],
            ['grant password', 'grant_type=password&username=a&password=b'],
            ['repeated param', 'grant_type=client_credentials&grant_type=client_credentials'],
            ['huge scope', `grant_type=client_credentials&scope=${'x'.repeat(5000)}`],
            ['NUL id', 'grant_type=client_credentials&client_id=%00&client_secret=x'],
            [
              'assertion garbage',
              'grant_type=client_credentials&client_assertion_type=x&client_assertion=a.b.c',
            ],
          ]
        : [
            ['{}', '{}'],
            ['[]', '[]'],
            ['null', 'null'],
            ['string', '"x"'],
            ['deep', '['.repeat(5000) + ']'.repeat(5000)],
            [
              'extra field',
              JSON.stringify({ ...(sample(op.body.schema) as Json), __proto__x: 1, extra: 'x' }),
            ],
          ];
      const valid = form ? {} : ((sample(op.body.schema) as Json) ?? {});
      for (const key of Object.keys(valid).slice(0, 8)) {
        for (const [label, value] of [
          ['null', null],
          ['number', 123456789],
          ['long string', 'x'.repeat(5000)],
          ['NUL', 'a\u0000b'],
          ['operator', { $ne: 1 }],
          ['array', ['a']],
          ['RLO', 'a\u202Eb'],
        ] as [string, unknown][]) {
          bodies.push([`${key}=${label}`, JSON.stringify({ ...valid, [key]: value })]);
        }
      }
      for (const [label, body] of bodies) probes.push(base(`body ${label}`, { body }));
      for (const [type, body] of CONTENT_TYPES) {
        probes.push(
          base(`content-type ${type}`, {
            headers: { ...base('').headers, 'content-type': type },
            body,
          }),
        );
      }
    } else if (op.method !== 'GET') {
      probes.push(
        base('unexpected body', {
          headers: { ...base('').headers, 'content-type': 'application/json' },
          body: '{"a":1}',
        }),
      );
    }
    return probes;
  }

  /** The citizen pages (HTML, outside the document): never a 5xx, errors as HTML pages. */
  function citizenProbes(): Probe[] {
    const html = (what: string, method: string, url: string, body?: string): Probe => ({
      what: `citizen ${what}`,
      method,
      url,
      headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      body,
      expect: 'html',
    });
    const out: Probe[] = [];
    for (const id of [ids.pendingId, ...PATH_MUTATIONS]) {
      out.push(html(`consent ${id.slice(0, 20)}`, 'GET', `/consent/${id}`));
      out.push(html(`preview ${id.slice(0, 20)}`, 'GET', `/consent/${id}/preview`));
      out.push(
        html(
          `decision ${id.slice(0, 20)}`,
          'POST',
          `/consent/${id}/decision`,
          'decision=approve&csrf=x',
        ),
      );
      out.push(html(`revoke ${id.slice(0, 20)}`, 'POST', `/me/consents/${id}/revoke`, 'csrf=x'));
    }
    for (const q of [
      '',
      '?code=x&state=y',
      '?error=access_denied&state=y',
      `?state=${'x'.repeat(3000)}`,
      '?code=%00',
    ]) {
      out.push(html(`callback ${q.slice(0, 20)}`, 'GET', `/auth/callback${q}`));
    }
    for (const q of [
      '?returnTo=https://evil.example',
      '?returnTo=//evil.example',
      '?returnTo=%00',
    ]) {
      out.push(html(`login ${q}`, 'GET', `/auth/login${q}`));
    }
    out.push(html('logged-out forged state', 'GET', '/auth/logged-out?state=forged'));
    out.push(html('logout without csrf', 'POST', '/auth/logout', 'csrf='));
    return out;
  }

  async function run(probe: Probe): Promise<string | null> {
    let res: Response;
    try {
      res = await fetch(`${gw.url}${probe.url}`, {
        method: probe.method,
        headers: probe.headers,
        body: probe.method === 'GET' || probe.method === 'HEAD' ? undefined : probe.body,
        redirect: 'manual',
      });
    } catch (err) {
      return `${probe.what}: no answer (${(err as Error).message})`;
    }
    const text = await res.text();
    if (res.status >= 500) return `${probe.what}: ${res.status} ${text.slice(0, 200)}`;
    if (res.status < 400) return null;
    const type = res.headers.get('content-type') ?? '';
    if (probe.expect === 'html') {
      return /^text\/html/.test(type) ? null : `${probe.what}: ${res.status} ${type} (not HTML)`;
    }
    if (probe.expect === 'oauth') {
      const ok =
        /^application\/json/.test(type) && typeof (JSON.parse(text) as Json).error === 'string';
      return ok ? null : `${probe.what}: ${res.status} ${type} (not an RFC 6749 error)`;
    }
    if (!/^application\/problem\+json/.test(type))
      return `${probe.what}: ${res.status} ${type} (not problem+json)`;
    const problem = JSON.parse(text) as Json;
    if (typeof problem.code !== 'string' || problem.status !== res.status) {
      return `${probe.what}: ${res.status} malformed problem ${text.slice(0, 200)}`;
    }
    return null;
  }

  it('answers every mutated request without a 5xx, each error in its documented shape', async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(20);
    const probes = [...ops.flatMap((op) => probesFor(op)), ...citizenProbes()];
    expect(probes.length).toBeGreaterThan(500);
    expect(probes.length).toBeLessThanOrEqual(MAX_REQUESTS);

    const failures: string[] = [];
    // In order, a few at a time: destructive operations (sorted last) run after the others.
    for (let i = 0; i < probes.length; i += CONCURRENCY) {
      const batch = probes.slice(i, i + CONCURRENCY);
      for (const failure of await Promise.all(batch.map(run))) if (failure) failures.push(failure);
    }
    expect(failures.slice(0, 30)).toEqual([]);
    // Every operation of the document was exercised.
    const covered = new Set(probes.map((p) => p.what.split(' ').slice(0, 2).join(' ')));
    for (const op of ops) expect(covered.has(`${op.method} ${op.path}`)).toBe(true);
    const live = await fetch(`${gw.url}/health/ready`);
    expect(live.status).toBe(200);
  });
});
