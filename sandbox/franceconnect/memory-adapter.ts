import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * A per-sandbox in-memory storage for oidc-provider. oidc-provider's own MemoryAdapter keeps one
 * module-wide store shared by every Provider in the process; each sandbox gets its own here, so
 * two sandboxes in one jest worker never see each other's sessions, and `close()` drops it all.
 * No timers: expired entries are ignored when read and swept on write.
 */
interface Entry {
  payload: AdapterPayload;
  expiresAt: number; // epoch ms, Infinity when no TTL
}

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

export class SandboxStore {
  readonly entries = new Map<string, Entry>();
  readonly sessionUids = new Map<string, string>();
  readonly userCodes = new Map<string, string>();
  /** grantId -> keys of the tokens issued under it */
  readonly grants = new Map<string, Set<string>>();

  get(key: string): AdapterPayload | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
    this.sessionUids.clear();
    this.userCodes.clear();
    this.grants.clear();
  }

  adapterFor(model: string): Adapter {
    return new SandboxAdapter(model, this);
  }
}

class SandboxAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly store: SandboxStore,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.store.entries.size > 5000) this.store.sweep();
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    this.store.entries.set(key, { payload, expiresAt });
    if (this.model === 'Session' && typeof payload.uid === 'string') {
      this.store.sessionUids.set(payload.uid, id);
    }
    if (typeof payload.userCode === 'string') {
      this.store.userCodes.set(payload.userCode, id);
    }
    if (GRANTABLE.has(this.model) && typeof payload.grantId === 'string') {
      let members = this.store.grants.get(payload.grantId);
      if (!members) {
        members = new Set();
        this.store.grants.set(payload.grantId, members);
      }
      members.add(key);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.store.get(this.key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.store.sessionUids.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.store.userCodes.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const payload = this.store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    const payload = this.store.entries.get(key)?.payload;
    this.store.entries.delete(key);
    if (payload && typeof payload.uid === 'string' && this.model === 'Session') {
      this.store.sessionUids.delete(payload.uid);
    }
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const members = this.store.grants.get(grantId);
    if (!members) return;
    for (const key of members) {
      if (key.startsWith(`${this.model}:`)) {
        this.store.entries.delete(key);
        members.delete(key);
      }
    }
    if (members.size === 0) this.store.grants.delete(grantId);
  }
}
