import { Injectable } from '@nestjs/common';
import { RegistryService, type ClientStatusRow } from '../registry/index.js';

/** What the bearer guard needs to know about a client (the registry's ClientStatusRow). */
export type ClientSnapshot = ClientStatusRow;

/** How long a lookup is trusted on an instance that did not see the change itself. */
export const CLIENT_STATUS_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  value: ClientSnapshot | null;
  expiresAt: number;
}

/**
 * In-memory cache of client status for the bearer guard, which runs on every API call: without
 * it, each call would cost a database round trip just to learn that the client is still active.
 *
 * Suspension must take effect at once. On the instance that suspends, the registry calls
 * `invalidate(clientId)` and the next request reads the table again; it also publishes the
 * change on the InvalidationBus (src/events), whose wiring calls this same hook on every other
 * instance. CLIENT_STATUS_TTL_MS bounds what a lost message (pub/sub is at-most-once) costs.
 */
@Injectable()
export class ClientStatusCache {
  private readonly entries = new Map<string, Entry>();
  /** One database read per client at a time, however many requests arrive together. */
  private readonly inFlight = new Map<string, Promise<ClientSnapshot | null>>();
  /** Bumped by invalidate: a read that started before it must not repopulate the cache. */
  private readonly generations = new Map<string, number>();

  constructor(private readonly registry: RegistryService) {}

  /** The client, or null if unknown. Callers check `status` themselves. */
  async get(clientId: string): Promise<ClientSnapshot | null> {
    const entry = this.entries.get(clientId);
    if (entry && entry.expiresAt > Date.now()) return entry.value;
    const pending = this.inFlight.get(clientId);
    if (pending) return pending;
    const generation = this.generations.get(clientId) ?? 0;
    const read = this.read(clientId)
      .then((value) => {
        if ((this.generations.get(clientId) ?? 0) === generation) {
          if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
          this.entries.set(clientId, { value, expiresAt: Date.now() + CLIENT_STATUS_TTL_MS });
        }
        return value;
      })
      .finally(() => {
        if (this.inFlight.get(clientId) === read) this.inFlight.delete(clientId);
      });
    this.inFlight.set(clientId, read);
    return read;
  }

  /** Forgets what is known of this client (call it after changing its status or secret). */
  invalidate(clientId: string): void {
    this.generations.set(clientId, (this.generations.get(clientId) ?? 0) + 1);
    this.entries.delete(clientId);
    this.inFlight.delete(clientId);
  }

  invalidateAll(): void {
    for (const clientId of new Set([...this.entries.keys(), ...this.inFlight.keys()])) {
      this.invalidate(clientId);
    }
  }

  /** Unique index on client_id: one indexed row read (the registry owns the table). */
  private read(clientId: string): Promise<ClientSnapshot | null> {
    return this.registry.getClientStatus(clientId);
  }
}
