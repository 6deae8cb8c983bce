import type { JsonWebKey } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  calculateJwkThumbprint,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
  JWK,
  JWSHeaderParameters,
  JWTPayload,
  jwtVerify,
  JWTVerifyResult,
} from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { decryptString, encrypt } from '../common/index.js';
import { Es256Signer } from './es256-signer.js';
import { SigningKeyRepository, type NewSigningKey } from './signing-key.repository.js';

/** The one algorithm the gateway signs with (and accepts for its own tokens). */
export const GATEWAY_ALG = 'ES256';

/** How long an instance trusts its in-memory key set before re-reading the table. */
const KEY_REFRESH_MS = 60_000;
/** Unknown `kid`s trigger a reload, at most this often (random kids must not hammer the DB). */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** Default clock-skew allowance when verifying our own JWS. */
const CLOCK_TOLERANCE_S = 5;

type CryptoKeyLike = Awaited<ReturnType<typeof importJWK>>;

interface LoadedKey {
  kid: string;
  status: 'active' | 'retiring';
  publicJwk: JWK;
  publicKey: CryptoKeyLike;
}

interface KeyState {
  byKid: Map<string, LoadedKey>;
  /** Signs with node:crypto (Es256Signer); verification stays with jose. */
  active: Es256Signer;
  loadedAt: number;
}

export interface SignOptions {
  /** `typ` header, e.g. `at+jwt` (RFC 9068) or `consent-receipt+jwt`. */
  typ?: string;
  expiresInSeconds?: number;
  audience?: string | string[];
  subject?: string;
}

export interface VerifyOptions {
  /** Required `typ` header; always pass one, so one kind of token is never taken for another. */
  typ?: string;
  audience?: string | string[];
  subject?: string;
  /** Defaults to our issuer (config.publicUrl). */
  issuer?: string;
  requiredClaims?: string[];
  clockToleranceSeconds?: number;
}

export interface RotationResult {
  kid: string;
  previousKid: string | null;
}

/**
 * The gateway's ES256 signing keys: access tokens, consent receipts, provider assertions and
 * notification signatures all go through here.
 *
 * Keys live in the `signing_key` table, private part encrypted under the master key with the
 * kid bound as associated data. Exactly one key is `active` (signs); after a rotation the previous
 * one is `retiring`: still published in the JWKS and still accepted, so tokens and receipts it
 * signed stay valid. Keys are imported once and kept in memory: importing a JWK costs far more
 * than an ES256 verification, and the bearer guard verifies on every API call.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private readonly logger = new Logger(SigningKeyService.name);
  private state: KeyState | null = null;
  private loading: Promise<KeyState> | null = null;
  private initializing: Promise<KeyState> | null = null;
  private lastUnknownKidReload = 0;

  constructor(
    private readonly keys: SigningKeyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.init();
  }

  /** Once per process; a module that signs during its own init waits for it here. */
  private init(): Promise<KeyState> {
    this.initializing ??= this.ensureActiveKey().then(() => this.reload());
    return this.initializing;
  }

  /** Our issuer identifier (RFC 8414): the public base URL. */
  get issuer(): string {
    return this.config.publicUrl;
  }

  /**
   * Creates a key when none is active. Several instances may start together on an empty
   * database: the transaction-scoped advisory lock makes the second one see the first one's key.
   */
  async ensureActiveKey(): Promise<void> {
    const kid = await this.keys.createIfNoneActive(() => this.generate());
    if (kid) this.logger.log({ kid }, 'signing key created');
  }

  /**
   * Makes a new key active; the previous active key becomes `retiring` (published, verifies,
   * no longer signs). Other instances pick the new key up within KEY_REFRESH_MS and meanwhile
   * keep signing with the retiring one, which every instance still accepts.
   */
  async rotate(): Promise<RotationResult> {
    const result = await this.keys.rotate(() => this.generate());
    this.logger.log(result, 'signing key rotated');
    await this.reload();
    return result;
  }

  /**
   * Withdraws a retiring key: no longer published nor accepted. Anything it signed (including
   * consent receipts) stops verifying, so this is an operator's deliberate act.
   */
  async retire(kid: string): Promise<boolean> {
    const retired = await this.keys.retireIfRetiring(kid);
    await this.reload();
    return retired;
  }

  /** Public keys of the active and retiring keys (RFC 7517 JWK Set). */
  async jwks(): Promise<{ keys: JWK[] }> {
    const state = await this.current();
    return { keys: [...state.byKid.values()].map((k) => k.publicJwk) };
  }

  /**
   * Whether signatures by `kid` are still accepted here (active or retiring), as of the key set
   * in memory. For callers that remember verification results (AccessTokenService).
   */
  accepts(kid: string): boolean {
    return this.state?.byKid.has(kid) ?? false;
  }

  /** The kid new signatures carry. */
  async activeKid(): Promise<string> {
    return (await this.current()).active.kid;
  }

  /** Signs a JWT (compact JWS) with the active key; `iss` and `iat` are always set. */
  async sign(payload: JWTPayload, options: SignOptions = {}): Promise<string> {
    const { active } = await this.current();
    // The claims jose's SignJWT would set, in the same way (NumericDate in whole seconds).
    const claims: JWTPayload = { ...payload, iss: this.issuer };
    const now = Math.floor(Date.now() / 1000);
    if (payload.iat === undefined) claims.iat = now;
    if (options.expiresInSeconds !== undefined) claims.exp = now + options.expiresInSeconds;
    if (options.audience !== undefined) claims.aud = options.audience;
    if (options.subject !== undefined) claims.sub = options.subject;
    return active.signJson(claims, options.typ);
  }

  /**
   * Detached JWS (RFC 7515 Appendix F): `<header>..<signature>` over `payload`, which travels
   * separately (an HTTP body, a document). Plain form: no `b64: false`, so any JOSE library
   * verifies it by putting the base64url payload back between the dots.
   */
  async signDetached(
    payload: Uint8Array | string,
    options: { typ?: string } = {},
  ): Promise<string> {
    const { active } = await this.current();
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    return active.signDetached(bytes, options.typ);
  }

  /** Verifies a detached JWS made by signDetached over `payload`; throws if it does not hold. */
  async verifyDetached(jws: string, payload: Uint8Array | string): Promise<JWSHeaderParameters> {
    const parts = jws.split('.');
    if (parts.length !== 3 || parts[1] !== '') throw new Error('not a detached JWS');
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    const compact = `${parts[0]}.${Buffer.from(bytes).toString('base64url')}.${parts[2]}`;
    const { protectedHeader } = await compactVerify(compact, (h) => this.keyFor(h), {
      algorithms: [GATEWAY_ALG],
    });
    return protectedHeader;
  }

  /**
   * Verifies a JWT signed by one of OUR keys (active or retiring), ES256 only: `alg: none`,
   * HS* (e.g. HMAC keyed with our public key) and any other algorithm are refused by jose
   * before a key is even looked up. Throws jose's errors on any failure.
   */
  async verify(jws: string, options: VerifyOptions = {}): Promise<JWTVerifyResult> {
    return jwtVerify(jws, (header) => this.keyFor(header), {
      algorithms: [GATEWAY_ALG],
      issuer: options.issuer ?? this.issuer,
      audience: options.audience,
      subject: options.subject,
      typ: options.typ,
      requiredClaims: options.requiredClaims,
      clockTolerance: options.clockToleranceSeconds ?? CLOCK_TOLERANCE_S,
    });
  }

  private async keyFor(header: JWSHeaderParameters): Promise<CryptoKeyLike> {
    if (typeof header.kid !== 'string') throw new Error('missing kid');
    let state = await this.current();
    let key = state.byKid.get(header.kid);
    // Another instance may just have rotated: re-read the table, but not on every forged kid.
    if (!key && Date.now() - this.lastUnknownKidReload > UNKNOWN_KID_RELOAD_MS) {
      this.lastUnknownKidReload = Date.now();
      state = await this.reload();
      key = state.byKid.get(header.kid);
    }
    if (!key) throw new Error('unknown kid');
    return key.publicKey;
  }

  /** The in-memory key set; re-read in the background once it is older than KEY_REFRESH_MS. */
  private async current(): Promise<KeyState> {
    const state = this.state;
    if (!state) return this.init();
    if (Date.now() - state.loadedAt > KEY_REFRESH_MS && !this.loading) {
      this.reload().catch((err) =>
        this.logger.error({ err }, 'signing keys could not be reloaded'),
      );
    }
    return state;
  }

  private reload(): Promise<KeyState> {
    if (!this.loading) {
      this.loading = this.load()
        .then((state) => (this.state = state))
        .finally(() => (this.loading = null));
    }
    return this.loading;
  }

  private async load(): Promise<KeyState> {
    const rows = await this.keys.listPublished();
    const byKid = new Map<string, LoadedKey>();
    let active: Es256Signer | null = null;
    for (const row of rows) {
      const cached = this.state?.byKid.get(row.kid);
      const publicJwk = row.publicJwk as JWK;
      byKid.set(row.kid, {
        kid: row.kid,
        status: row.status as LoadedKey['status'],
        publicJwk,
        publicKey: cached?.publicKey ?? (await importJWK(publicJwk, GATEWAY_ALG)),
      });
      if (row.status === 'active') {
        active =
          this.state?.active.kid === row.kid
            ? this.state.active
            : new Es256Signer(
                row.kid,
                JSON.parse(
                  decryptString(
                    this.config.masterKey,
                    row.privateJwkCiphertext,
                    `signing-key:${row.kid}`,
                  ),
                ) as JsonWebKey,
              );
      }
    }
    if (!active) throw new Error('no active signing key');
    return { byKid, active, loadedAt: Date.now() };
  }

  private async generate(): Promise<NewSigningKey> {
    const { publicKey, privateKey } = await generateKeyPair(GATEWAY_ALG, { extractable: true });
    const pub = await exportJWK(publicKey);
    // RFC 7638 thumbprint as kid: stable, derived from the key, never reused by another key.
    const kid = await calculateJwkThumbprint(pub);
    const publicJwk = { ...pub, kid, alg: GATEWAY_ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: GATEWAY_ALG };
    return {
      kid,
      alg: GATEWAY_ALG,
      publicJwk,
      privateJwkCiphertext: encrypt(
        this.config.masterKey,
        JSON.stringify(privateJwk),
        `signing-key:${kid}`,
      ),
    };
  }
}
