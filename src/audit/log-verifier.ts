/**
 * Verification of the transparency log against the audit table, for `npm run audit:verify`
 * (scripts/audit-verify.ts calls these; the chain itself is AuditService.verify).
 *
 * - verifyStoredLog: recomputes every leaf from audit_event in sequence order, checks the stored
 *   leaves (event, sequence, keyed tag) and, at each stored checkpoint's size, its signature and
 *   that its root equals the recomputed root (which makes every checkpoint consistent with the
 *   next and with the table).
 * - verifyAgainstCheckpoint: the same recomputation against one checkpoint obtained earlier
 *   (from the witness, a citizen, an auditor): a smaller table (truncation), a different root
 *   (rewrite, reorder, fork) → a report naming the first offending sequence number.
 *
 * The first offending event is exact when the verifier holds MASTER_KEY (each stored leaf
 * carries a keyed tag that whoever re-hashes the log cannot recompute); without it, the stored
 * checkpoints whose signature holds bound it between two checkpoints.
 */
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, JSONWebKeySet } from 'jose';
import type { AuditLogRepository } from './audit-log.repository.js';
import { eventLeafHash, toLeafEvent } from './audit-leaf.js';
import { EMPTY_ROOT, Hash, nodeHash } from './merkle.js';
import { leafTag, tagKeyId } from './payload-digest.js';
import { CHECKPOINT_TYP } from './transparency-log.service.js';

export interface SignedCheckpoint {
  treeSize: number;
  rootHash: string;
  timestamp: number;
  kid: string;
  /** Id of the key of the leaf tags (payload-digest.ts tagKeyId), when the checkpoint has one. */
  tagKey?: string;
}

export class CheckpointError extends Error {}

/** Verifies a checkpoint's ES256 signature against a JWKS and returns what it commits to. */
export async function openCheckpoint(jws: string, jwks: JSONWebKeySet): Promise<SignedCheckpoint> {
  let header;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new CheckpointError('not a compact JWS');
  }
  if (header.alg !== 'ES256' || header.typ !== CHECKPOINT_TYP || !header.kid) {
    throw new CheckpointError('not a checkpoint (alg ES256, typ checkpoint+jwt, kid expected)');
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: ['ES256'] }));
  } catch {
    throw new CheckpointError(`bad signature (kid ${header.kid})`);
  }
  const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
  const size = claims.tree_size;
  const root = claims.root_hash;
  if (!Number.isSafeInteger(size) || (size as number) < 0 || typeof root !== 'string') {
    throw new CheckpointError('checkpoint without tree_size and root_hash');
  }
  return {
    treeSize: size as number,
    rootHash: root,
    timestamp: Number(claims.timestamp),
    kid: header.kid,
    ...(typeof claims.tag_key === 'string' ? { tagKey: claims.tag_key } : {}),
  };
}

/** Every public key the gateway ever signed with (retired ones included), from the database. */
export async function storedJwks(repo: AuditLogRepository): Promise<JSONWebKeySet> {
  return { keys: (await repo.publicJwks()) as never };
}

/** Root of the leaves seen so far, kept as the O(log n) perfect subtrees of RFC 9162's split. */
class CompactRange {
  private stack: Array<{ level: number; hash: Hash }> = [];
  size = 0;

  push(leaf: Hash): void {
    this.stack.push({ level: 0, hash: leaf });
    this.size++;
    while (this.stack.length >= 2) {
      const [a, b] = this.stack.slice(-2);
      if (a.level !== b.level) break;
      this.stack.splice(-2, 2, { level: a.level + 1, hash: nodeHash(a.hash, b.hash) });
    }
  }

  root(): Hash {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let r = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i].hash, r);
    return r;
  }
}

export interface LogProblem {
  /** Sequence number of the first offending event (or of the first missing one). */
  seq: string;
  reason: string;
}

export interface LogReport {
  ok: boolean;
  events: number;
  checkpoints: number;
  problem?: LogProblem;
}

interface Walk {
  rows: number;
  /** Recomputed root at each size asked for. */
  roots: Map<number, string>;
  /** First leaf whose stored record (event id, sequence, keyed tag) disagrees, if any. */
  firstBadLeaf?: { index: number; seq: bigint; kind: 'record' | 'tag' };
  /** Sequence number of the row at each leaf index we may need to name. */
  seqAt: (index: number) => Promise<string>;
}

/** Streams audit_event in sequence order, recomputing leaves and the roots at `sizes`. */
async function walk(
  repo: AuditLogRepository,
  sizes: number[],
  masterKey: Buffer | undefined,
  signed: SignedCheckpoint[],
): Promise<Walk> {
  const want = new Set(sizes);
  const roots = new Map<number, string>();
  const range = new CompactRange();
  let firstBadLeaf: Walk['firstBadLeaf'];
  let firstBadTag: Walk['firstBadLeaf'];
  let tagsChecked = 0;
  let tagMismatches = 0;
  let after = -1n;
  if (want.has(0)) roots.set(0, EMPTY_ROOT.toString('hex'));
  for (;;) {
    const page = await repo.eventsAfter(after, 5000);
    if (page.length === 0) break;
    const stored = await repo.leaves(range.size, range.size + page.length);
    const byIdx = new Map(stored.map((l) => [Number(l.idx), l]));
    for (const row of page) {
      const index = range.size;
      const leaf = eventLeafHash(toLeafEvent(row as never));
      const mine = byIdx.get(index);
      if (mine && !firstBadLeaf && (mine.eventId !== row.id || mine.seq !== row.seq)) {
        firstBadLeaf = { index, seq: row.seq, kind: 'record' };
      }
      if (mine && masterKey) {
        tagsChecked++;
        if (mine.tag !== leafTag(masterKey, index, leaf.toString('hex'))) {
          tagMismatches++;
          firstBadTag ??= { index, seq: row.seq, kind: 'tag' };
        }
      }
      range.push(leaf);
      if (want.has(range.size)) roots.set(range.size, range.root().toString('hex'));
    }
    after = page[page.length - 1].seq;
  }
  const rows = range.size;
  // Is this MASTER_KEY the gateway's? The checkpoints sign the tag key's id; without one (older
  // checkpoints), every tag wrong means another key. With another key the tags say nothing (the
  // roots still do): never cry wolf on that.
  const keyIds = signed.map((c) => c.tagKey).filter((k): k is string => k !== undefined);
  const keyUsable =
    masterKey !== undefined &&
    tagsChecked > 0 &&
    (keyIds.length > 0 ? keyIds.includes(tagKeyId(masterKey)) : tagMismatches < tagsChecked);
  if (keyUsable && firstBadTag && (!firstBadLeaf || firstBadTag.index < firstBadLeaf.index)) {
    firstBadLeaf = firstBadTag;
  }
  return {
    rows,
    roots,
    firstBadLeaf,
    seqAt: async (index) => {
      const leaf = await repo.leaf(index);
      if (leaf) return leaf.seq.toString();
      return (((await repo.lastSeq()) ?? 0n) + 1n).toString();
    },
  };
}

function leafReason(kind: 'record' | 'tag'): string {
  return kind === 'tag'
    ? 'event rewritten, reordered or replaced: it no longer matches the keyed tag written with its leaf (or the tag was altered)'
    : 'event rewritten, reordered or replaced: the tree recorded another event at its place';
}

/**
 * Names the first offending event when the root at `size` differs: exact with the keyed tags,
 * else the first leaf after the largest smaller stored checkpoint that still matches.
 */
async function locate(
  repo: AuditLogRepository,
  w: Walk,
  trusted: Array<{ treeSize: number; rootHash: string }>,
  size: number,
): Promise<{ seq: string; exact: boolean; kind?: 'record' | 'tag' }> {
  if (w.firstBadLeaf && w.firstBadLeaf.index < size) {
    return { seq: w.firstBadLeaf.seq.toString(), exact: true, kind: w.firstBadLeaf.kind };
  }
  let good = 0;
  for (const c of trusted) {
    if (c.treeSize < size && c.treeSize > good && w.roots.get(c.treeSize) === c.rootHash)
      good = c.treeSize;
  }
  const seq = await repo.seqAtPosition(good);
  return { seq: seq?.toString() ?? (await w.seqAt(good)), exact: false };
}

async function storedCheckpoints(
  repo: AuditLogRepository,
  jwks: JSONWebKeySet,
): Promise<{ valid: SignedCheckpoint[]; bad?: { size: number; reason: string } }> {
  const rows = await repo.checkpoints();
  const valid: SignedCheckpoint[] = [];
  for (const row of rows) {
    try {
      const c = await openCheckpoint(row.jws, jwks);
      if (c.treeSize !== Number(row.treeSize) || c.rootHash !== row.rootHash) {
        return { valid, bad: { size: Number(row.treeSize), reason: 'row differs from its JWS' } };
      }
      valid.push(c);
    } catch (err) {
      return { valid, bad: { size: Number(row.treeSize), reason: (err as Error).message } };
    }
  }
  return { valid };
}

/** `npm run audit:verify` without a checkpoint: the tree and every stored checkpoint. */
export async function verifyStoredLog(
  repo: AuditLogRepository,
  options: { jwks?: JSONWebKeySet; masterKey?: Buffer } = {},
): Promise<LogReport> {
  const jwks = options.jwks ?? (await storedJwks(repo));
  const { valid, bad } = await storedCheckpoints(repo, jwks);
  const w = await walk(
    repo,
    valid.map((c) => c.treeSize),
    options.masterKey,
    valid,
  );
  const base = { events: w.rows, checkpoints: valid.length };
  if (w.firstBadLeaf) {
    return {
      ok: false,
      ...base,
      problem: { seq: w.firstBadLeaf.seq.toString(), reason: leafReason(w.firstBadLeaf.kind) },
    };
  }
  for (const c of valid) {
    if (c.treeSize > w.rows) {
      return {
        ok: false,
        ...base,
        problem: {
          seq: await w.seqAt(w.rows),
          reason: `checkpoint of ${c.treeSize} events but only ${w.rows} in the table (truncated)`,
        },
      };
    }
    if (w.roots.get(c.treeSize) !== c.rootHash) {
      const at = await locate(repo, w, valid, c.treeSize);
      return {
        ok: false,
        ...base,
        problem: {
          seq: at.seq,
          reason: `root differs from the checkpoint of ${c.treeSize} events`,
        },
      };
    }
  }
  if (bad) {
    return {
      ok: false,
      ...base,
      problem: {
        seq: await w.seqAt(bad.size - 1),
        reason: `checkpoint ${bad.size}: ${bad.reason}`,
      },
    };
  }
  return { ok: true, ...base };
}

/** `npm run audit:verify -- --checkpoint <file|URL>`. */
export async function verifyAgainstCheckpoint(
  repo: AuditLogRepository,
  jws: string,
  options: { jwks?: JSONWebKeySet; masterKey?: Buffer } = {},
): Promise<LogReport & { checkpoint: SignedCheckpoint }> {
  const jwks = options.jwks ?? (await storedJwks(repo));
  const checkpoint = await openCheckpoint(jws, jwks);
  const { valid } = await storedCheckpoints(repo, jwks);
  const w = await walk(
    repo,
    [checkpoint.treeSize, ...valid.map((c) => c.treeSize)],
    options.masterKey,
    [checkpoint, ...valid],
  );
  const base = { events: w.rows, checkpoints: valid.length, checkpoint };
  // A rewritten leaf before the truncation point is the first offence.
  if (w.firstBadLeaf && w.firstBadLeaf.index < Math.min(w.rows, checkpoint.treeSize)) {
    return {
      ok: false,
      ...base,
      problem: { seq: w.firstBadLeaf.seq.toString(), reason: leafReason(w.firstBadLeaf.kind) },
    };
  }
  if (w.rows < checkpoint.treeSize) {
    return {
      ok: false,
      ...base,
      problem: {
        seq: await w.seqAt(w.rows),
        reason: `log truncated: the checkpoint covers ${checkpoint.treeSize} events, the table has ${w.rows}`,
      },
    };
  }
  if (w.roots.get(checkpoint.treeSize) !== checkpoint.rootHash) {
    const at = await locate(repo, w, valid, checkpoint.treeSize);
    return {
      ok: false,
      ...base,
      problem: {
        seq: at.seq,
        reason: at.kind
          ? leafReason(at.kind)
          : 'history differs from the checkpoint (rewritten, reordered or forked); first difference at or after this event (run with MASTER_KEY to pin it)',
      },
    };
  }
  return { ok: true, ...base };
}
