/**
 * The audit transparency log (RFC 9162): leaves, tree nodes, signed checkpoints, proofs.
 * Over 350 lines: appending, checkpointing and proving share the tree's storage invariants.
 */
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { SigningKeyService } from '../signing/index.js';
import { GENESIS_HASH } from './audit-chain.js';
import { AuditService } from './audit.service.js';
import { eventLeafHash, LeafEvent, toLeafEvent } from './audit-leaf.js';
import { leafTag, tagKeyId } from './payload-digest.js';
import {
  type ChainLink,
  TransparencyLogRepository,
  type TreeAppend,
} from './transparency-log.repository.js';
import {
  completedNodes,
  consistencyProof,
  frontier,
  Hash,
  inclusionProof,
  NodeRef,
  nodeKey,
  rootHash,
  withNodes,
} from './merkle.js';

const APPEND_PAGE = 2000;
const TICK_MS = 1000;
export const CHECKPOINT_TYP = 'checkpoint+jwt';

export interface Checkpoint {
  treeSize: number;
  rootHash: string;
  issuedAt: string;
  /** Compact JWS (ES256, kid): `{iss, iat, tree_size, root_hash, timestamp, tag_key}`. */
  jws: string;
}

export interface InclusionProof {
  eventId: string;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  /** Audit path (RFC 9162 §2.1.3), hex, bottom-up. */
  proof: string[];
}

/**
 * What a citizen downloads for one access: the event, its inclusion proof and a signed
 * checkpoint. scripts/verify-proof.ts checks it offline against the gateway's JWKS.
 */
export interface ProofBundle {
  format: typeof BUNDLE_FORMAT;
  event: LeafEvent;
  leafIndex: number;
  /** SHA-256(0x00 ‖ leaf entry), hex (see src/audit/audit-leaf.ts for the entry). */
  leafHash: string;
  inclusionProof: { treeSize: number; hashes: string[] };
  checkpoint: Checkpoint;
  /** Where the public keys are: the checkpoint's `kid` must be one of them. */
  jwksUri: string;
}

export const BUNDLE_FORMAT = 'passerelle-audit-proof/1';

export class TransparencyLogError extends Error {
  constructor(
    readonly code: 'event_not_in_tree' | 'tree_size_unknown' | 'proof_not_ready',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The audit log as a transparency log (RFC 9162): every committed audit_event becomes a leaf, in
 * sequence order, appended by a background loop (never on the fetch's path) that stores the hash
 * of every completed perfect subtree (a single leaf's with the leaf), so any proof needs O(log n)
 * rows. Signed checkpoints (tree size, root, time) are written at most `checkpointIntervalMs`
 * apart while the tree grows, and at shutdown, then pushed to the witness if one is configured.
 *
 * The appender follows the hash chain (each appended row's prev_hash is the previous leaf's
 * hash): a row that does not continue the chain is never added, so the tree only ever holds a
 * verified chain prefix.
 */
@Injectable()
export class TransparencyLogService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TransparencyLogService.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private stopped = false;
  private chainBreakLogged = false;

  constructor(
    private readonly tree: TransparencyLogRepository,
    private readonly keys: SigningKeyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(false), TICK_MS);
    this.timer.unref();
  }

  /** The shutdown path: append what is committed and sign a last checkpoint. */
  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.stopped) return;
    await this.audit.onModuleDestroy(); // the events still queued land first
    await this.tick(true);
    this.stopped = true;
  }

  /** One appender pass then a checkpoint if due; overlapping calls share one run. */
  tick(forceCheckpoint: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const run = (this.running ?? Promise.resolve()).then(async () => {
      try {
        await this.appendCommitted();
        await this.checkpointIfDue(forceCheckpoint);
      } catch (err) {
        this.logger.error({ err }, 'transparency log: append or checkpoint failed');
      }
    });
    this.running = run;
    return run;
  }

  /**
   * Appends every committed event that continues the chain; returns the tree size. One
   * transaction outside Prisma (lock, last leaf, events, frontier nodes, one insert): see
   * TransparencyLogRepository.withAppendLock.
   */
  async appendCommitted(): Promise<number> {
    for (;;) {
      const outcome = await this.tree.withAppendLock(async (tx) => {
        const last = await tx.lastLeaf();
        const size = last ? Number(last.idx) + 1 : 0;
        const afterSeq = last ? last.seq : '-1';
        let prev = last ? last.hash : GENESIS_HASH;
        const rows = await tx.chainAfter(afterSeq, APPEND_PAGE);
        const chained: ChainLink[] = [];
        for (const row of rows) {
          if (row.prevHash !== prev) {
            if (!this.chainBreakLogged) {
              this.chainBreakLogged = true;
              this.logger.error(
                { seq: row.seq },
                'transparency log: audit row does not continue the chain; not appended',
              );
            }
            break;
          }
          chained.push(row);
          prev = row.hash;
        }
        if (chained.length === 0) return { size, more: false };
        const known = await this.loadNodes(frontier(size), tx);
        const leaves = await this.leafHashes(chained, tx);
        // Level 0 (the leaf hashes) is stored with the leaves: one row fewer per event.
        const nodes = completedNodes(leaves, size, (ref) => known.get(nodeKey(ref))).filter(
          (n) => n.level > 0,
        );
        const indexes = chained.map((_, i) => String(size + i));
        const hashes = leaves.map((l) => l.toString('hex'));
        await tx.insert(
          {
            indexes,
            seqs: chained.map((r) => r.seq),
            eventIds: chained.map((r) => r.id),
            tags: hashes.map((h, i) => leafTag(this.config.masterKey, size + i, h)),
            hashes,
          },
          {
            levels: nodes.map((n) => n.level),
            indexes: nodes.map((n) => String(n.index)),
            hashes: nodes.map((n) => n.hash.toString('hex')),
          },
        );
        return {
          size: size + chained.length,
          more: chained.length === rows.length && rows.length === APPEND_PAGE,
          appended: chained.map((r) => r.hash),
        };
      });
      // Committed: the writer's leaf hashes of these events are no longer needed.
      if (outcome.appended) this.audit.forgetWritten(outcome.appended);
      if (!outcome.more) return outcome.size;
    }
  }

  /**
   * The leaf hash of each event, in order: the writer's when this instance wrote it (computed
   * from the very values it inserted, and the row's chain hash, which commits to all of them,
   * matches), else computed from the row read back whole (events of other instances, or older
   * than what the writer remembers).
   */
  private async leafHashes(chained: ChainLink[], tx: TreeAppend): Promise<Hash[]> {
    const given = chained.map((r) => this.audit.writtenLeafHash(r.hash));
    const missing = chained.filter((_, i) => given[i] === undefined).map((r) => r.seq);
    const read = new Map<string, Hash>();
    if (missing.length > 0) {
      for (const row of await tx.eventsAt(missing)) {
        const details = row.details === null ? null : JSON.parse(row.details);
        read.set(row.seq, eventLeafHash({ ...row, details }));
      }
    }
    return chained.map((r, i) => {
      const hash = given[i] !== undefined ? Buffer.from(given[i], 'hex') : read.get(r.seq);
      // Read under the appender's lock, in the same transaction: a chained row cannot be missing.
      if (!hash) throw new Error(`transparency log: event ${r.seq} could not be read back`);
      return hash;
    });
  }

  async treeSize(): Promise<number> {
    const last = await this.tree.lastLeafIndex();
    return last ? Number(last.idx) + 1 : 0;
  }

  /** Stored nodes by key; inside the appender's transaction when `tx` is given. */
  private async loadNodes(
    refs: NodeRef[],
    tx: Pick<TransparencyLogRepository, 'nodes'> = this.tree,
  ): Promise<Map<string, Hash>> {
    if (refs.length === 0) return new Map();
    const rows = await tx.nodes(refs);
    return new Map(
      rows.map((r) => [nodeKey({ level: r.level, index: Number(r.idx) }), Buffer.from(r.hash)]),
    );
  }

  private load = (refs: NodeRef[]) => this.loadNodes(refs);

  async root(size: number): Promise<Hash> {
    return withNodes((get) => rootHash(get, size), this.load);
  }

  async latestCheckpoint(): Promise<Checkpoint | null> {
    const row = await this.tree.latestCheckpoint();
    return row ? toCheckpoint(row) : null;
  }

  /** Checkpoints of tree size ≥ from, oldest first. */
  async checkpoints(from: number, limit: number): Promise<Checkpoint[]> {
    const rows = await this.tree.checkpoints(from, limit);
    return rows.map(toCheckpoint);
  }

  async checkpointAt(size: number): Promise<Checkpoint | null> {
    const row = await this.tree.checkpointAt(size);
    return row ? toCheckpoint(row) : null;
  }

  /** Signs a checkpoint of the current tree if it grew and the last one is old enough. */
  async checkpointIfDue(force: boolean): Promise<Checkpoint | null> {
    const { treeSize: size, checkpointSize, checkpointAtMs } = await this.tree.checkpointState();
    if (size === 0) return null;
    if (checkpointSize !== null && checkpointSize >= size) return null;
    const age = checkpointAtMs === null ? Infinity : Date.now() - checkpointAtMs;
    if (!force && age < this.config.auditLog.checkpointIntervalMs) return null;
    return this.sign(size);
  }

  private async sign(size: number): Promise<Checkpoint> {
    const root = (await this.root(size)).toString('hex');
    const issuedAt = new Date();
    const jws = await this.keys.sign(
      {
        tree_size: size,
        root_hash: root,
        timestamp: issuedAt.getTime(),
        tag_key: tagKeyId(this.config.masterKey),
      },
      { typ: CHECKPOINT_TYP },
    );
    // Another instance may have signed the same size first: theirs is kept.
    await this.tree.insertCheckpoint({ treeSize: BigInt(size), rootHash: root, issuedAt, jws });
    const stored = (await this.checkpointAt(size))!;
    if (stored.jws === jws) this.pushToWitness(stored);
    return stored;
  }

  /** Signed POST (the checkpoint is itself a JWS), retried with backoff; never blocks. */
  private pushToWitness(checkpoint: Checkpoint): void {
    const url = this.config.auditLog.witnessUrl;
    if (!url) return;
    const body = JSON.stringify({ checkpoint: checkpoint.jws });
    void (async () => {
      // The body is signed as a whole too (detached JWS, as consent notifications are): a
      // witness can refuse anything that did not come from the gateway before parsing it.
      const signature = await this.keys.signDetached(body, { typ: 'witness+jws' }).catch(() => '');
      for (let attempt = 1; attempt <= 6; attempt++) {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-passerelle-signature': signature },
            body,
            signal: AbortSignal.timeout(5000),
          });
          if (res.ok) return;
          throw new Error(`witness answered ${res.status}`);
        } catch (err) {
          if (attempt === 6) {
            this.logger.warn(
              { err, treeSize: checkpoint.treeSize },
              'witness did not take the checkpoint',
            );
            return;
          }
          // 250 ms, 0.5 s, 1 s, 2 s, 4 s: a witness restarting is caught up within seconds.
          await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)).unref());
        }
      }
    })();
  }

  /** Where the event sits in the tree, or null while the appender has not reached it yet. */
  async leafOf(eventId: string): Promise<{ index: number; event: LeafEvent } | null> {
    const leaf = await this.tree.leafOf(eventId);
    if (!leaf) return null;
    const row = await this.tree.eventAt(leaf.seq);
    if (!row || row.id !== eventId) return null;
    return { index: Number(leaf.idx), event: toLeafEvent(row as never) };
  }

  async inclusion(eventId: string, treeSize: number): Promise<InclusionProof> {
    const leaf = await this.leafOf(eventId);
    if (!leaf) {
      throw new TransparencyLogError('event_not_in_tree', 'this event is not in the tree yet');
    }
    const size = await this.treeSize();
    if (treeSize > size) throw new TransparencyLogError('tree_size_unknown', 'tree is smaller');
    if (leaf.index >= treeSize) {
      throw new TransparencyLogError('event_not_in_tree', 'the event came after that tree size');
    }
    const proof = await withNodes((get) => inclusionProof(get, leaf.index, treeSize), this.load);
    return {
      eventId,
      leafIndex: leaf.index,
      treeSize,
      leafHash: eventLeafHash(leaf.event).toString('hex'),
      proof: proof.map((h) => h.toString('hex')),
    };
  }

  async consistency(from: number, to: number): Promise<string[]> {
    const size = await this.treeSize();
    if (to > size) throw new TransparencyLogError('tree_size_unknown', 'tree is smaller');
    const proof = await withNodes((get) => consistencyProof(get, from, to), this.load);
    return proof.map((h) => h.toString('hex'));
  }

  /**
   * The proof bundle of one event: waits (briefly) for the appender to take it in, signs a
   * checkpoint covering it if the latest does not yet, and proves inclusion in that one.
   */
  async bundle(eventId: string): Promise<ProofBundle> {
    if (!(await this.waitForLeaf(eventId))) {
      throw new TransparencyLogError('proof_not_ready', 'event not appended yet');
    }
    const leaf = (await this.leafOf(eventId))!;
    const checkpoint = await this.checkpointCovering(leaf.index + 1);
    const proof = await this.inclusion(eventId, checkpoint.treeSize);
    return {
      format: BUNDLE_FORMAT,
      event: leaf.event,
      leafIndex: leaf.index,
      leafHash: proof.leafHash,
      inclusionProof: { treeSize: checkpoint.treeSize, hashes: proof.proof },
      checkpoint,
      jwksUri: `${this.config.publicUrl}/.well-known/jwks.json`,
    };
  }

  /** Waits until the appender has taken in this event (bounded), for bundles and tests. */
  async waitForLeaf(eventId: string, timeoutMs = 5000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (await this.tree.leafOf(eventId)) return true;
      if (Date.now() > until) return false;
      await this.tick(false);
      if (await this.tree.leafOf(eventId)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The latest checkpoint covering the tree at least up to `size`; signs one if none does. */
  async checkpointCovering(size: number): Promise<Checkpoint> {
    const latest = await this.latestCheckpoint();
    if (latest && latest.treeSize >= size) return latest;
    await this.appendCommitted();
    return (await this.checkpointIfDue(true)) ?? (await this.latestCheckpoint())!;
  }
}

function toCheckpoint(row: {
  treeSize: bigint;
  rootHash: string;
  issuedAt: Date;
  jws: string;
}): Checkpoint {
  return {
    treeSize: Number(row.treeSize),
    rootHash: row.rootHash,
    issuedAt: row.issuedAt.toISOString(),
    jws: row.jws,
  };
}
