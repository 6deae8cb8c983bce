/**
 * The database's constraint errors, translated for the registry's services (issue 13). Not a
 * table's repository: the translation the registry's repositories share, kept among them (a
 * `*.repository.ts`) because only repositories may know Prisma's error class and codes. A
 * repository wraps a write in `translatingConflicts`; its service then tells the operator
 * what happened (exists, not found, in use) without knowing the database.
 */
import { Prisma } from '../generated/prisma/client.js';

/** duplicate: a unique constraint (a concurrent create of the same id); referenced: a foreign
 * key (a referenced row is missing, or a referencing row exists); missing: no row to act on. */
export type WriteConflictKind = 'duplicate' | 'referenced' | 'missing';

export class WriteConflict extends Error {
  constructor(readonly kind: WriteConflictKind) {
    super(`registry write conflict: ${kind}`);
  }
}

const KINDS: Record<string, WriteConflictKind> = {
  P2002: 'duplicate',
  P2003: 'referenced',
  P2025: 'missing',
};

/** Runs `write`; a unique, foreign-key or no-row error becomes a WriteConflict, others pass. */
export async function translatingConflicts<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const kind = err instanceof Prisma.PrismaClientKnownRequestError ? KINDS[err.code] : undefined;
    if (kind) throw new WriteConflict(kind);
    throw err;
  }
}

export function isWriteConflict(err: unknown, kind: WriteConflictKind): boolean {
  return err instanceof WriteConflict && err.kind === kind;
}
