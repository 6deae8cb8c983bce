/**
 * Stand-alone verifier of one Passerelle proof bundle (the file a citizen downloads from "Qui a
 * consulté mes données"): what a citizen's lawyer, a journalist or an auditor runs, trusting
 * nothing of the gateway but its public keys. Deliberately self-contained: jose and node:crypto
 * only, no import of the gateway's code, so it can be read in one sitting and copied alone.
 *
 *   node dist/scripts/verify-proof.js preuve.json [--jwks <file|URL>]
 *
 * Checks: (1) the checkpoint's ES256 signature against the JWKS (default: the bundle's jwksUri;
 * better, a copy obtained independently); (2) the leaf hash recomputed from the event
 * (RFC 9162 §2.1: SHA-256(0x00 ‖ entry)); (3) the inclusion proof from that leaf up to the
 * checkpoint's root (RFC 9162 §2.1.3.2). Exit status: 0 valid, 2 invalid, 1 could not run.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

/** Sorted keys, no whitespace: the bytes the gateway hashed. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** The leaf entry of an audit event, format "passerelle-audit-leaf/1". */
function leafHash(e: Record<string, unknown>): Buffer {
  const fields = [
    'id', 'occurredAt', 'kind', 'actor', 'clientId', 'citizenId', 'consentId', 'datasetId',
    'outcome', 'httpStatus', 'durationMs', 'requestId', 'payloadDigest', 'details', 'prevHash',
    'hash',
  ]; // prettier-ignore
  const entry = canonical(['passerelle-audit-leaf/1', ...fields.map((f) => e[f] ?? null)]);
  return sha256(Buffer.from([0]), Buffer.from(entry, 'utf8'));
}

/** RFC 9162 §2.1.3.2. */
function rootFromInclusion(leaf: Buffer, index: number, size: number, path: Buffer[]) {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size))
    return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.from([1]), p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = sha256(Buffer.from([1]), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

async function readSource(source: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${source} answered ${res.status}`);
    return res.text();
  }
  return readFileSync(source, 'utf8');
}

interface Bundle {
  format: string;
  event: Record<string, unknown>;
  leafIndex: number;
  leafHash: string;
  inclusionProof: { treeSize: number; hashes: string[] };
  checkpoint: { jws: string };
  jwksUri?: string;
}

export async function verifyBundle(bundle: Bundle, jwks: JSONWebKeySet): Promise<string[]> {
  const problems: string[] = [];
  if (bundle.format !== 'passerelle-audit-proof/1') problems.push('unknown bundle format');
  let claims: Record<string, unknown>;
  try {
    const { payload, protectedHeader } = await compactVerify(
      bundle.checkpoint.jws,
      createLocalJWKSet(jwks),
      { algorithms: ['ES256'] },
    );
    if (protectedHeader.typ !== 'checkpoint+jwt') problems.push('not a checkpoint');
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
  } catch {
    problems.push('checkpoint signature does not verify against the JWKS');
    return problems;
  }
  const leaf = leafHash(bundle.event);
  if (leaf.toString('hex') !== bundle.leafHash) problems.push('event does not match its leaf hash');
  const size = bundle.inclusionProof.treeSize;
  if (claims.tree_size !== size) problems.push('proof is not for the signed tree size');
  const root = rootFromInclusion(
    leaf,
    bundle.leafIndex,
    size,
    bundle.inclusionProof.hashes.map((h) => Buffer.from(h, 'hex')),
  );
  if (!root || root.toString('hex') !== claims.root_hash) {
    problems.push('inclusion proof does not lead to the signed root');
  }
  return problems;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--jwks');
  const jwksAt = args.indexOf('--jwks');
  if (!file) {
    process.stderr.write('usage: verify-proof <bundle.json> [--jwks <file|URL>]\n');
    return 1;
  }
  const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
  const jwksSource = jwksAt >= 0 ? args[jwksAt + 1] : bundle.jwksUri;
  if (!jwksSource) throw new Error('no JWKS: pass --jwks <file|URL>');
  const jwks = JSON.parse(await readSource(jwksSource)) as JSONWebKeySet;
  const problems = await verifyBundle(bundle, jwks);
  if (problems.length > 0) {
    process.stdout.write(`proof INVALID: ${problems.join('; ')}\n`);
    return 2;
  }
  const e = bundle.event;
  process.stdout.write(
    `proof valid: event ${String(e.id)} (${String(e.kind)}, ${String(e.outcome)}, ${String(e.occurredAt)}) is leaf ${bundle.leafIndex} of the audit log of ${bundle.inclusionProof.treeSize} events signed by the gateway\n`,
  );
  return 0;
}

if (process.argv[1] && /verify-proof\.[jt]s$/.test(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`verify-proof: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
