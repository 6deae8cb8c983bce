import { createHash, randomBytes } from 'node:crypto';
import {
  completedNodes,
  consistencyProof,
  EMPTY_ROOT,
  frontier,
  Hash,
  inclusionProof,
  leafHash,
  NodeRef,
  nodeKey,
  rootHash,
  verifyConsistency,
  verifyInclusion,
  withNodes,
} from './merkle.js';

/** RFC 9162 §2.1.1 written the plain way, over the whole list of entries. */
function naiveRoot(entries: Buffer[]): Buffer {
  const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
  const mth = (d: Buffer[]): Buffer => {
    if (d.length === 0) return sha();
    if (d.length === 1) return sha(Buffer.from([0]), d[0]);
    let k = 1;
    while (k * 2 < d.length) k *= 2;
    return sha(Buffer.from([1]), mth(d.slice(0, k)), mth(d.slice(k)));
  };
  return mth(entries);
}

/** A tree grown in random batches, as the appender grows the stored one. */
function grow(entries: Buffer[]): Map<string, Hash> {
  const store = new Map<string, Hash>();
  let size = 0;
  while (size < entries.length) {
    const batch = entries.slice(size, size + 1 + Math.floor(Math.random() * 40));
    const known = new Map(frontier(size).map((r) => [nodeKey(r), store.get(nodeKey(r))!]));
    const nodes = completedNodes(batch.map(leafHash), size, (r) => known.get(nodeKey(r)));
    for (const n of nodes) store.set(nodeKey(n), n.hash);
    size += batch.length;
  }
  return store;
}

function corrupt(proof: Hash[]): Hash[][] {
  if (proof.length === 0) return [[randomBytes(32)]];
  const i = Math.floor(Math.random() * proof.length);
  const flipped = proof.map((h) => Buffer.from(h));
  flipped[i][Math.floor(Math.random() * 32)] ^= 1 << Math.floor(Math.random() * 8);
  const out = [flipped, proof.slice(0, -1), [...proof, randomBytes(32)]];
  if (proof.length > 1) out.push([...proof.slice(1), proof[0]]);
  return out;
}

describe('RFC 9162 Merkle tree', () => {
  // Random sizes up to a few thousand, plus the edges (1, powers of two and their neighbours).
  const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 255, 256, 257];
  for (let i = 0; i < 4; i++) sizes.push(2 + Math.floor(Math.random() * 3000));

  it('roots equal a straightforward recomputation at every size, grown in random batches', () => {
    expect(rootHash(() => Buffer.alloc(0), 0)).toEqual(EMPTY_ROOT);
    const entries = Array.from({ length: 600 }, () =>
      randomBytes(1 + Math.floor(Math.random() * 64)),
    );
    const store = grow(entries);
    const get = (r: NodeRef) => store.get(nodeKey(r))!;
    for (let n = 1; n <= entries.length; n++) {
      expect(rootHash(get, n).toString('hex')).toBe(naiveRoot(entries.slice(0, n)).toString('hex'));
    }
  });

  it.each(sizes)(
    'every inclusion and consistency proof of a tree of %i leaves verifies; corrupted ones fail',
    (size) => {
      const entries = Array.from({ length: size }, (_, i) =>
        Buffer.from(`event ${i} ${randomBytes(4).toString('hex')}`),
      );
      const store = grow(entries);
      const get = (r: NodeRef) => store.get(nodeKey(r))!;
      const root = rootHash(get, size);
      expect(root.equals(naiveRoot(entries))).toBe(true);
      const sample =
        size <= 300
          ? entries.map((_, i) => i)
          : Array.from({ length: 120 }, () => Math.floor(Math.random() * size));
      for (const i of sample) {
        const leaf = leafHash(entries[i]);
        const proof = inclusionProof(get, i, size);
        expect(verifyInclusion(leaf, i, size, proof, root)).toBe(true);
        for (const bad of corrupt(proof))
          expect(verifyInclusion(leaf, i, size, bad, root)).toBe(false);
        expect(verifyInclusion(leafHash(Buffer.from('forged')), i, size, proof, root)).toBe(false);
        if (size > 1) expect(verifyInclusion(leaf, (i + 1) % size, size, proof, root)).toBe(false);
      }
      for (const m of sample.map((i) => i + 1)) {
        const oldRoot = rootHash(get, m);
        const proof = consistencyProof(get, m, size);
        expect(verifyConsistency(m, size, proof, oldRoot, root)).toBe(true);
        if (m < size) {
          for (const bad of corrupt(proof))
            expect(verifyConsistency(m, size, bad, oldRoot, root)).toBe(false);
          expect(verifyConsistency(m, size, proof, randomBytes(32), root)).toBe(false);
          expect(verifyConsistency(m, size, proof, oldRoot, randomBytes(32))).toBe(false);
          // A forked history: same size, one earlier entry different.
          const forked = [...entries];
          forked[Math.floor(Math.random() * m)] = Buffer.from('rewritten');
          expect(verifyConsistency(m, size, proof, oldRoot, naiveRoot(forked))).toBe(false);
        }
      }
    },
  );

  it('answers proofs from the nodes it asks for, loaded once', async () => {
    const entries = Array.from({ length: 1000 }, (_, i) => Buffer.from(String(i)));
    const store = grow(entries);
    let loads = 0;
    const proof = await withNodes(
      (get) => inclusionProof(get, 421, 1000),
      async (refs) => {
        loads++;
        expect(refs.length).toBeLessThanOrEqual(2 * 10);
        return new Map(refs.map((r) => [nodeKey(r), store.get(nodeKey(r))!]));
      },
    );
    expect(loads).toBe(1);
    expect(verifyInclusion(leafHash(entries[421]), 421, 1000, proof, naiveRoot(entries))).toBe(
      true,
    );
  });
});
