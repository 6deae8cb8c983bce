/**
 * Issue 11 on a real PostgreSQL with the two roles: what PostgreSQL refuses the runtime role,
 * what production refuses to start with, and what `npm run audit:verify -- --checkpoint` finds
 * after a superuser (who can do anything) truncated, rewrote (re-hashing everything after with
 * the public formulas) or reordered the log.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { compactVerify, createLocalJWKSet } from 'jose';
import { Client } from 'pg';
import { AuditService } from '../src/audit/audit.service.js';
import { chainHash, GENESIS_HASH } from '../src/audit/audit-chain.js';
import { eventLeafHash, toLeafEvent } from '../src/audit/audit-leaf.js';
import { completedNodes, verifyConsistency, verifyInclusion } from '../src/audit/merkle.js';
import { TransparencyLogService } from '../src/audit/transparency-log.service.js';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { PrismaService } from '../src/database/prisma.service.js';
import { startGateway, TestGateway } from './support/gateway.js';

const SERVER = process.env.DATABASE_URL;
const VERIFY = 'dist/scripts/audit-verify.js';
const ROLES = 'dist/scripts/db-roles.js';
const MIGRATIONS = join(process.cwd(), 'prisma', 'migrations');

function dbUrl(name: string, user?: { name: string; password: string }): string {
  // Without DATABASE_URL the suite is skipped; its body still builds these URLs.
  const url = new URL(SERVER ?? 'postgresql://localhost/');
  url.pathname = `/${name}`;
  if (user) {
    url.username = user.name;
    url.password = user.password;
  }
  return url.toString();
}

async function sql<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Runs `text` and returns PostgreSQL's SQLSTATE, or 'ok'. */
async function attempt(url: string, text: string): Promise<string> {
  try {
    await sql(url, text);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

(SERVER ? describe : describe.skip)('audit transparency log on PostgreSQL with two roles', () => {
  const tag = randomBytes(4).toString('hex');
  const dbName = `passerelle_tl_${tag}`;
  const runtime = { name: `passerelle_rt_${tag}`, password: randomBytes(12).toString('hex') };
  const ownerUrl = dbUrl(dbName);
  const runtimeUrl = dbUrl(dbName, runtime);
  const masterKey = randomBytes(32).toString('base64');
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-tl-'));
  const copies: string[] = [];
  let gw: TestGateway;
  let checkpointFile: string;
  let events: Array<{ seq: string; id: string }>;

  beforeAll(async () => {
    if (!existsSync(VERIFY)) throw new Error('run `npm run build` first (npm test does)');
    await sql(dbUrl('postgres'), `CREATE DATABASE ${dbName}`);
    // The documented command: migrations as the owner, then the runtime role and its grants.
    const roles = spawnSync(process.execPath, [ROLES], {
      env: { PATH: process.env.PATH, MIGRATION_DATABASE_URL: ownerUrl, DATABASE_URL: runtimeUrl },
      encoding: 'utf8',
    });
    expect(roles.stderr).toBe('');
    expect(roles.status).toBe(0);
    expect(roles.stdout).toContain('runtime role: INSERT and SELECT only on the audit log');
  });

  afterAll(async () => {
    await gw?.close();
    for (const name of [dbName, ...copies]) {
      await sql(dbUrl('postgres'), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
    await sql(dbUrl('postgres'), `DROP ROLE IF EXISTS ${runtime.name}`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('PostgreSQL refuses the runtime role every change to the audit log but appending', async () => {
    // Appending and reading work…
    expect(
      await attempt(
        runtimeUrl,
        `INSERT INTO audit_event (id, kind, actor, outcome, prev_hash, hash)
         VALUES (gen_random_uuid(), 'test', 'test', 'ok', 'p-${tag}', 'h-${tag}')`,
      ),
    ).toBe('ok');
    expect(await attempt(runtimeUrl, 'SELECT count(*) FROM audit_event')).toBe('ok');
    // …nothing else does, whatever the triggers (insufficient_privilege: 42501).
    for (const statement of [
      'ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete',
      'ALTER TABLE audit_event DISABLE TRIGGER ALL',
      'ALTER TABLE audit_event ADD COLUMN forged text',
      "UPDATE audit_event SET outcome = 'refused'",
      'DELETE FROM audit_event',
      'TRUNCATE audit_event',
      'DROP TABLE audit_event',
      'CREATE TRIGGER t BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()',
      'CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql',
      'DELETE FROM audit_tree_node',
      'TRUNCATE audit_tree_leaf',
      'UPDATE audit_checkpoint SET jws = jws',
      'CREATE TABLE forged (x int)',
    ]) {
      expect([statement, await attempt(runtimeUrl, statement)]).toEqual([statement, '42501']);
    }
    // Remove the hand-made row (as the owner, past the trigger) so the chain starts clean.
    await sql(
      ownerUrl,
      `BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM audit_event; COMMIT;`,
    );
  });

  it('production refuses to start when the runtime role could alter the audit log', async () => {
    const base = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://passerelle.example',
      MASTER_KEY: masterKey,
      OPERATOR_TOKEN: 'o'.repeat(32),
      SESSION_SECRET: 's'.repeat(40),
      FC_ISSUER: 'https://fc.example/api/v2',
      FC_CLIENT_ID: 'x',
      FC_CLIENT_SECRET: 'y',
    };
    // The owner (here a superuser) as the runtime role: refused, one line naming the setting.
    const refused = await PrismaService.open(
      loadConfig({ ...base, DATABASE_URL: ownerUrl }),
      MIGRATIONS,
    ).then(
      async (p) => {
        await p.close();
        return null;
      },
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toMatch(
      /^configuration error: DATABASE_URL the runtime role can alter the audit log \(it is a superuser/,
    );
    expect((refused as Error).message).not.toContain('\n');
    // The two roles: starts, migrating as the owner…
    const prisma = await PrismaService.open(
      loadConfig({ ...base, DATABASE_URL: runtimeUrl, MIGRATION_DATABASE_URL: ownerUrl }),
      MIGRATIONS,
    );
    await prisma.close();
    // …or with the runtime role alone once db:roles migrated (the owner's password stays out).
    const alone = await PrismaService.open(
      loadConfig({ ...base, DATABASE_URL: runtimeUrl }),
      MIGRATIONS,
    );
    await alone.close();
  });

  it('serves checkpoints and proofs that verify, as the runtime role', async () => {
    gw = await startGateway(
      { DATABASE_URL: runtimeUrl, MIGRATION_DATABASE_URL: ownerUrl, MASTER_KEY: masterKey },
      { url: runtimeUrl, dataDir: 'memory://', drop: async () => undefined },
    );
    const audit = gw.app.get(AuditService);
    const log = gw.app.get(TransparencyLogService);
    expect(await fetch(`${gw.url}/api/v1/audit/checkpoint`).then((r) => r.status)).toBe(404);
    for (let i = 0; i < 7; i++)
      await audit.record({ kind: 'test.tl', actor: 'test', outcome: 'ok', details: { i } });
    await log.appendCommitted();
    const first = (await log.checkpointIfDue(true))!;
    for (let i = 7; i < 12; i++)
      await audit.record({ kind: 'test.tl', actor: 'test', outcome: 'ok', details: { i } });
    await log.appendCommitted();
    await log.checkpointIfDue(true);

    const res = await fetch(`${gw.url}/api/v1/audit/checkpoint`);
    expect(res.status).toBe(200);
    const checkpoint = (await res.json()) as { treeSize: number; rootHash: string; jws: string };
    expect(checkpoint.treeSize).toBe(await gw.prisma.auditEvent.count());
    const list = (await (await fetch(`${gw.url}/api/v1/audit/checkpoints?from=1`)).json()) as {
      items: Array<{ treeSize: number }>;
    };
    expect(list.items.map((c) => c.treeSize)).toEqual([first.treeSize, checkpoint.treeSize]);

    const rows = await gw.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    events = rows.map((r) => ({ seq: r.seq.toString(), id: r.id }));
    const root = Buffer.from(checkpoint.rootHash, 'hex');
    for (const [i, row] of rows.entries()) {
      const r = await fetch(
        `${gw.url}/api/v1/audit/proof/inclusion?eventId=${row.id}&treeSize=${checkpoint.treeSize}`,
      );
      const p = (await r.json()) as { leafIndex: number; leafHash: string; proof: string[] };
      expect(p.leafIndex).toBe(i);
      expect(p.leafHash).toBe(eventLeafHash(toLeafEvent(row as never)).toString('hex'));
      const proof = p.proof.map((h) => Buffer.from(h, 'hex'));
      expect(
        verifyInclusion(Buffer.from(p.leafHash, 'hex'), i, checkpoint.treeSize, proof, root),
      ).toBe(true);
    }
    const c = (await (
      await fetch(
        `${gw.url}/api/v1/audit/proof/consistency?from=${first.treeSize}&to=${checkpoint.treeSize}`,
      )
    ).json()) as { proof: string[] };
    expect(
      verifyConsistency(
        first.treeSize,
        checkpoint.treeSize,
        c.proof.map((h) => Buffer.from(h, 'hex')),
        Buffer.from(first.rootHash, 'hex'),
        root,
      ),
    ).toBe(true);
    // Refusals: problem+json with a stable code.
    for (const [path, code] of [
      [`proof/inclusion?eventId=not-a-uuid`, 'validation_failed'],
      [`proof/inclusion?eventId=${randomUUID()}&treeSize=1`, 'event_not_in_tree'],
      [`proof/inclusion?eventId=${rows[11].id}&treeSize=${first.treeSize}`, 'event_not_in_tree'],
      [`proof/consistency?from=5&to=4`, 'tree_sizes_out_of_order'],
      [`proof/consistency?from=1&to=999`, 'tree_size_unknown'],
    ]) {
      const r = await fetch(`${gw.url}/api/v1/audit/${path}`);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect([path, ((await r.json()) as { code: string }).code]).toEqual([path, code]);
    }
    checkpointFile = join(dir, 'checkpoint.json');
    writeFileSync(checkpointFile, JSON.stringify(checkpoint));
    await gw.close();
  });

  /** A copy of the log to tamper with (CREATE DATABASE … TEMPLATE: seconds, not minutes). */
  async function copy(): Promise<string> {
    const name = `${dbName}_${copies.length}`;
    copies.push(name);
    await sql(dbUrl('postgres'), `CREATE DATABASE ${name} TEMPLATE ${dbName}`);
    return dbUrl(name);
  }

  function verify(url: string, key = masterKey, ...args: string[]) {
    return spawnSync(process.execPath, [VERIFY, ...args], {
      env: {
        PATH: process.env.PATH,
        PASSERELLE_MODE: 'demo',
        DATA_DIR: dir,
        DATABASE_URL: url,
        MASTER_KEY: key,
      },
      encoding: 'utf8',
    });
  }

  /** As a superuser: past every trigger. */
  async function asSuperuser(url: string, text: string): Promise<void> {
    await sql(url, `BEGIN; SET LOCAL session_replication_role = replica; ${text}; COMMIT;`);
  }

  it('an untouched log passes, with and without the checkpoint', async () => {
    const url = await copy();
    const plain = verify(url);
    expect(plain.stdout).toContain('audit tree verifies: 12 events, 2 signed checkpoints');
    expect(plain.status).toBe(0);
    const r = verify(url, masterKey, '--checkpoint', checkpointFile);
    expect(r.stdout).toContain('audit log consistent with the checkpoint of 12 events');
    expect(r.status).toBe(0);
  });

  it('(a) deleting the newest 3 events is caught, naming the first deleted one', async () => {
    const url = await copy();
    await asSuperuser(url, `DELETE FROM audit_event WHERE seq > ${events[8].seq}`);
    const r = verify(url, masterKey, '--checkpoint', checkpointFile);
    expect(r.stdout).toContain('audit chain verifies: 9 events'); // the chain alone misses it
    expect(r.stdout).toContain(`audit log TAMPERED at seq=${events[9].seq}: log truncated`);
    expect(r.status).toBe(2);
  });

  it('(b) rewriting an outcome and re-hashing everything after it is caught, naming that event', async () => {
    const url = await copy();
    const target: number = 4; // widened: the genesis branch below must type-check
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      await db.query('BEGIN; SET LOCAL session_replication_role = replica');
      const { rows } = await db.query(
        `SELECT seq, id, occurred_at AS "occurredAt", kind, actor, client_id AS "clientId",
                citizen_id AS "citizenId", consent_id AS "consentId", dataset_id AS "datasetId",
                outcome, http_status AS "httpStatus", duration_ms AS "durationMs",
                request_id AS "requestId", payload_digest AS "payloadDigest", details,
                prev_hash AS "prevHash", hash FROM audit_event ORDER BY seq`,
      );
      rows[target].outcome = 'refused';
      // Every following chain hash, with the public formula.
      let prev = target === 0 ? GENESIS_HASH : rows[target - 1].hash;
      await db.query('DROP INDEX audit_event_prev_hash_key');
      for (const row of rows.slice(target)) {
        row.prevHash = prev;
        row.hash = chainHash(row);
        prev = row.hash;
        await db.query(
          'UPDATE audit_event SET outcome = $2, prev_hash = $3, hash = $4 WHERE seq = $1',
          [row.seq, row.outcome, row.prevHash, row.hash],
        );
      }
      // Every tree node, with the public formulas (RFC 9162).
      const leaves = rows.map((r) => eventLeafHash(toLeafEvent(r)));
      const nodes = completedNodes(leaves, 0, () => undefined);
      await db.query('DELETE FROM audit_tree_node');
      for (const n of nodes) {
        await db.query('INSERT INTO audit_tree_node (level, idx, hash) VALUES ($1, $2, $3)', [
          n.level,
          n.index,
          n.hash,
        ]);
      }
      await db.query('COMMIT');
    } finally {
      await db.end();
    }
    const r = verify(url, masterKey, '--checkpoint', checkpointFile);
    expect(r.stdout).toContain('audit chain verifies: 12 events'); // re-hashed: the chain holds
    expect(r.stdout).toContain(`audit log TAMPERED at seq=${events[target].seq}: event rewritten`);
    expect(r.status).toBe(2);
    // Without MASTER_KEY (an outside auditor): still caught, bounded by the stored checkpoints.
    const outsider = verify(
      url,
      randomBytes(32).toString('base64'),
      '--checkpoint',
      checkpointFile,
    );
    const named = /audit log TAMPERED at seq=(\d+): history differs/.exec(outsider.stdout);
    expect(named).not.toBeNull();
    expect(Number(named![1])).toBeLessThanOrEqual(Number(events[target].seq));
    expect(outsider.status).toBe(2);
    // Garbling every keyed tag does not hide it either: the first altered tag is named.
    await asSuperuser(url, 'UPDATE audit_tree_leaf SET tag = md5(tag)');
    const garbled = verify(url, masterKey, '--checkpoint', checkpointFile);
    expect(garbled.stdout).toContain(`audit log TAMPERED at seq=${events[0].seq}: event rewritten`);
    expect(garbled.stdout).toContain('or the tag was altered');
    expect(garbled.status).toBe(2);
  });

  it('(c) swapping two events is caught, naming the first moved one', async () => {
    const url = await copy();
    const [a, b] = [events[2].seq, events[6].seq];
    await asSuperuser(
      url,
      `UPDATE audit_event SET seq = -1 WHERE seq = ${a};
       UPDATE audit_event SET seq = ${a} WHERE seq = ${b};
       UPDATE audit_event SET seq = ${b} WHERE seq = -1`,
    );
    const r = verify(url, masterKey, '--checkpoint', checkpointFile);
    expect(r.stdout).toContain(`audit log TAMPERED at seq=${a}:`);
    expect(r.status).toBe(2);
  });

  it('signs a checkpoint of everything written when the gateway shuts down', async () => {
    const url = await copy();
    const g = await startGateway(
      { DATABASE_URL: url, MASTER_KEY: masterKey },
      { url, dataDir: 'memory://', drop: async () => undefined },
    );
    const audit = g.app.get(AuditService);
    const written = Promise.all(
      [1, 2, 3].map((i) =>
        audit.record({ kind: 'test.tl', actor: 'test', outcome: 'ok', details: { late: i } }),
      ),
    );
    await g.close();
    await written;
    const [{ count }] = await sql<{ count: string }>(
      url,
      'SELECT count(*)::text AS count FROM audit_event',
    );
    const [{ size }] = await sql<{ size: string }>(
      url,
      'SELECT max(tree_size)::text AS size FROM audit_checkpoint',
    );
    expect(size).toBe(count);
    expect(Number(count)).toBe(events.length + 3);
  });

  it('signs checkpoints on its own while events arrive and pushes them to the witness, retried', async () => {
    const url = await copy();
    // A witness that fails twice, then takes everything.
    const received: string[] = [];
    const signatures: string[] = [];
    let failures = 2;
    const witness = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        if (failures-- > 0) return res.writeHead(503).end();
        received.push(body);
        signatures.push(String(req.headers['x-passerelle-signature']));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => witness.listen(0, '127.0.0.1', () => r()));
    const witnessUrl = `http://127.0.0.1:${(witness.address() as { port: number }).port}/cp`;
    const g = await startGateway(
      {
        DATABASE_URL: url,
        MASTER_KEY: masterKey,
        AUDIT_CHECKPOINT_INTERVAL_MS: '200',
        AUDIT_WITNESS_URL: witnessUrl,
      },
      { url, dataDir: 'memory://', drop: async () => undefined },
    );
    try {
      await g.app
        .get(AuditService)
        .record({ kind: 'test.tl', actor: 'test', outcome: 'ok', details: { by: 'timer' } });
      const total = await g.prisma.auditEvent.count();
      // Nobody asks for a checkpoint: the gateway's own loop signs one (generous bound).
      const deadline = Date.now() + 15_000;
      while (received.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(received.length).toBeGreaterThan(0);
      const jws = (JSON.parse(received[received.length - 1]) as { checkpoint: string }).checkpoint;
      const jwks = (await (await fetch(`${g.url}/.well-known/jwks.json`)).json()) as never;
      const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks));
      expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'checkpoint+jwt' });
      expect(JSON.parse(new TextDecoder().decode(payload)).tree_size).toBe(total);
      // The POST itself is signed: detached JWS over the exact body.
      const [head, , sig] = signatures[signatures.length - 1].split('.');
      const body = Buffer.from(received[received.length - 1]).toString('base64url');
      await expect(
        compactVerify(`${head}.${body}.${sig}`, createLocalJWKSet(jwks)),
      ).resolves.toBeDefined();
      await expect(
        compactVerify(`${head}.${body}x.${sig}`, createLocalJWKSet(jwks)),
      ).rejects.toThrow();
    } finally {
      await g.close();
      witness.close();
    }
  });

  it('a checkpoint of a forked history, signed by the gateway itself, is caught', async () => {
    /** Runs a gateway on `url` that appends one event and signs a checkpoint of it. */
    async function appendAndSign(url: string, side: string): Promise<string> {
      const g = await startGateway(
        { DATABASE_URL: url, MASTER_KEY: masterKey },
        { url, dataDir: 'memory://', drop: async () => undefined },
      );
      try {
        await g.app
          .get(AuditService)
          .record({ kind: 'test.tl', actor: 'test', outcome: 'ok', details: { side } });
        const log = g.app.get(TransparencyLogService);
        await log.appendCommitted();
        return (await log.checkpointIfDue(true))!.jws;
      } finally {
        await g.close();
      }
    }
    const [left, right] = [await copy(), await copy()];
    const forkFile = join(dir, 'fork.jws');
    writeFileSync(forkFile, await appendAndSign(left, 'left'));
    await appendAndSign(right, 'right');
    const seq = (
      await sql<{ seq: string }>(right, 'SELECT max(seq)::text AS seq FROM audit_event')
    )[0].seq;
    const r = verify(right, masterKey, '--checkpoint', forkFile);
    expect(r.stdout).toContain(`audit log TAMPERED at seq=${seq}: history differs`);
    expect(r.status).toBe(2);
    // And a checkpoint nobody signed is no checkpoint at all.
    const forged = join(dir, 'forged.json');
    writeFileSync(forged, JSON.stringify({ jws: 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA' }));
    const f = verify(right, masterKey, '--checkpoint', forged);
    expect(f.stderr).toMatch(/audit:verify: not a checkpoint/);
    expect(f.status).toBe(1);
  });
});
