/**
 * RFC 9162 §2.1 Merkle tree hashing, proofs and proof verification, with no dependency but
 * node:crypto (scripts/verify-proof.ts imports this file alone).
 *
 * Leaves and nodes are raw 32-byte SHA-256 digests:
 *   leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right),
 *   MTH(D[n]) splits at k, the largest power of two smaller than n (§2.1.1).
 *
 * Proof generation works over any source of "perfect subtree" hashes (the hash of the 2^level
 * leaves starting at index·2^level): every left subtree of the RFC's recursion is perfect and
 * aligned, so a stored tree answers any proof with O(log n) node reads (see TransparencyLog).
 */
import { createHash } from 'node:crypto';

export type Hash = Buffer;

export function leafHash(entry: Uint8Array | string): Hash {
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(entry)
    .digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
}

/** MTH of the empty tree (§2.1.1): SHA-256 of the empty string. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Identifies the perfect subtree of 2^level leaves starting at leaf index·2^level. */
export interface NodeRef {
  level: number;
  index: number;
}

/** Synchronous lookup of a perfect subtree's hash. */
export type NodeSource = (ref: NodeRef) => Hash;

function log2(n: number): number {
  return Math.round(Math.log2(n));
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** MTH(D[start : start+size]), asking `get` for perfect subtrees only. */
function subtreeHash(get: NodeSource, start: number, size: number): Hash {
  if (isPowerOfTwo(size) && start % size === 0) {
    return get({ level: log2(size), index: start / size });
  }
  const k = splitPoint(size);
  return nodeHash(subtreeHash(get, start, k), subtreeHash(get, start + k, size - k));
}

export function rootHash(get: NodeSource, size: number): Hash {
  return size === 0 ? EMPTY_ROOT : subtreeHash(get, 0, size);
}

/** §2.1.3.1: PATH(m, D[start : start+n]), leaf m relative to start. */
function path(get: NodeSource, m: number, start: number, n: number): Hash[] {
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...path(get, m, start, k), subtreeHash(get, start + k, n - k)];
  return [...path(get, m - k, start + k, n - k), subtreeHash(get, start, k)];
}

export function inclusionProof(get: NodeSource, index: number, size: number): Hash[] {
  if (!(index >= 0 && index < size)) throw new RangeError('leaf index out of range');
  return path(get, index, 0, size);
}

/** §2.1.4.1: SUBPROOF(m, D[start : start+n], b). */
function subproof(get: NodeSource, m: number, start: number, n: number, b: boolean): Hash[] {
  if (m === n) return b ? [] : [subtreeHash(get, start, n)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(get, m, start, k, b), subtreeHash(get, start + k, n - k)];
  return [...subproof(get, m - k, start + k, n - k, false), subtreeHash(get, start, k)];
}

export function consistencyProof(get: NodeSource, first: number, second: number): Hash[] {
  if (!(first >= 0 && first <= second)) throw new RangeError('tree sizes out of order');
  if (first === 0 || first === second) return [];
  return subproof(get, first, 0, second, true);
}

/**
 * Runs a proof computation twice: once to learn which perfect subtrees it needs (the shape of
 * the recursion depends on sizes only, never on hash values), then with those nodes loaded.
 * Lets an asynchronous store answer a proof in one query.
 */
export async function withNodes<T>(
  compute: (get: NodeSource) => T,
  load: (refs: NodeRef[]) => Promise<Map<string, Hash>>,
): Promise<T> {
  const wanted = new Map<string, NodeRef>();
  const dummy = Buffer.alloc(32);
  compute((ref) => {
    wanted.set(nodeKey(ref), ref);
    return dummy;
  });
  const nodes = await load([...wanted.values()]);
  return compute((ref) => {
    const hash = nodes.get(nodeKey(ref));
    if (!hash) throw new Error(`tree node ${ref.level}/${ref.index} missing`);
    return hash;
  });
}

export function nodeKey(ref: NodeRef): string {
  return `${ref.level}/${ref.index}`;
}

/** §2.1.3.2: does `proof` show leaf `leaf` at `index` in the tree of `size` with `root`? */
export function verifyInclusion(
  leaf: Hash,
  index: number,
  size: number,
  proof: Hash[],
  root: Hash,
): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size))
    return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** §2.1.4.2: is the tree (second, secondRoot) an append-only extension of (first, firstRoot)? */
export function verifyConsistency(
  first: number,
  second: number,
  proof: Hash[],
  firstRoot: Hash,
  secondRoot: Hash,
): boolean {
  if (!(Number.isSafeInteger(first) && Number.isSafeInteger(second))) return false;
  if (first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/**
 * The perfect-subtree hashes that appending leaves completes, in order: adding leaf i stores
 * (0, i), then, while its subtree is a right child, the parent. `at(ref)` reads nodes stored
 * before or during this append.
 */
export function completedNodes(
  leaves: Hash[],
  firstIndex: number,
  at: (ref: NodeRef) => Hash | undefined,
): Array<NodeRef & { hash: Hash }> {
  const out: Array<NodeRef & { hash: Hash }> = [];
  const local = new Map<string, Hash>();
  const read = (ref: NodeRef) => local.get(nodeKey(ref)) ?? at(ref);
  leaves.forEach((leaf, i) => {
    let ref: NodeRef = { level: 0, index: firstIndex + i };
    let hash = leaf;
    for (;;) {
      local.set(nodeKey(ref), hash);
      out.push({ ...ref, hash });
      if (ref.index % 2 === 0) break;
      const sibling = read({ level: ref.level, index: ref.index - 1 });
      if (!sibling) throw new Error(`tree node ${ref.level}/${ref.index - 1} missing`);
      hash = nodeHash(sibling, hash);
      ref = { level: ref.level + 1, index: (ref.index - 1) / 2 };
    }
  });
  return out;
}

/** Left siblings that completedNodes may read when appending from leaf `firstIndex` on. */
export function frontier(firstIndex: number): NodeRef[] {
  const refs: NodeRef[] = [];
  let index = firstIndex;
  for (let level = 0; index > 0; level++) {
    if (index % 2 === 1) refs.push({ level, index: index - 1 });
    index = Math.floor(index / 2);
  }
  return refs;
}
