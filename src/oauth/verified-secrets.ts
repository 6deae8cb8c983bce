import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CLIENT_STATUS_TTL_MS } from './client-status.cache.js';

/** What the token endpoint needs of a client authenticated by its secret. */
export interface SecretClient {
  id: string;
  clientId: string;
  status: string;
  authMethod: string;
  /** The stored scrypt hash the presented secret was verified against. */
  secretHash: string;
}

/** A verified secret spares scrypt this long, as long as the stored hash is the same. */
export const VERIFIED_SECRET_TTL_MS = 60_000;
const MAX_ENTRIES = 1_000;

interface Entry {
  client: SecretClient;
  digest: Buffer;
  /** Until then the remembered row stands for the client table (no read at all). */
  rowUntil: number;
  /** Until then a re-read row with the same hash needs no scrypt. */
  verifiedUntil: number;
}

/**
 * Client secrets that passed scrypt, per client: scrypt costs ~50 ms of a libuv thread by
 * design, and a service that asks a token per call would otherwise spend that every time.
 *
 * What is kept of the secret is its HMAC under a key drawn at start and never stored: a memory
 * dump gives neither the secret nor a value that can be tested offline against guesses. The
 * remembered client row stands for the table CLIENT_STATUS_TTL_MS at most (the bearer guard's
 * bound): suspension and rotation drop the entry at once on this instance and, through the
 * invalidation bus (ClientStatusInvalidation), on the others; the TTL bounds what a lost bus
 * message costs. Past that, the row is read again and the secret re-verified by scrypt only if
 * the stored hash changed or VERIFIED_SECRET_TTL_MS passed.
 */
@Injectable()
export class VerifiedSecrets {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, Entry>();
  /**
   * Bumped by every invalidation: a verification that started before one must not repopulate
   * its entry. One counter for all clients (changes are rare), so nothing grows per client.
   */
  private epoch = 0;

  /** Keyed digest of a presented secret (also what identical concurrent verifications share). */
  digest(secret: string): Buffer {
    return createHmac('sha256', this.key).update(secret, 'utf8').digest();
  }

  /** The remembered client if this secret was verified for it and its row is still fresh. */
  recall(clientId: string, digest: Buffer, now = Date.now()): SecretClient | null {
    const entry = this.entries.get(clientId);
    if (!entry || entry.rowUntil <= now || !timingSafeEqual(entry.digest, digest)) return null;
    return entry.client;
  }

  /**
   * Whether this secret was verified against `client.secretHash` lately; if so the freshly read
   * row is remembered in place of the old one.
   */
  confirm(client: SecretClient, digest: Buffer, generation: number, now = Date.now()): boolean {
    const entry = this.entries.get(client.clientId);
    if (
      !entry ||
      entry.client.secretHash !== client.secretHash ||
      entry.verifiedUntil <= now ||
      !timingSafeEqual(entry.digest, digest)
    ) {
      return false;
    }
    if (this.epoch === generation) {
      entry.client = client;
      entry.rowUntil = now + CLIENT_STATUS_TTL_MS;
    }
    return true;
  }

  /** After scrypt said yes for `client.secretHash`. */
  remember(client: SecretClient, digest: Buffer, generation: number, now = Date.now()): void {
    if (this.epoch !== generation) return;
    this.entries.delete(client.clientId);
    if (this.entries.size >= MAX_ENTRIES) {
      // Map keeps insertion order: the first key is the least recently verified.
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(client.clientId, {
      client,
      digest,
      rowUntil: now + CLIENT_STATUS_TTL_MS,
      verifiedUntil: now + VERIFIED_SECRET_TTL_MS,
    });
  }

  /** Taken before reading the client row: what remember and confirm compare to. */
  get generation(): number {
    return this.epoch;
  }

  /** The client's status or secret changed: forget it. */
  invalidate(clientId: string): void {
    this.epoch += 1;
    this.entries.delete(clientId);
  }

  invalidateAll(): void {
    this.epoch += 1;
    this.entries.clear();
  }
}
