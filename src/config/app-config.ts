/**
 * The gateway's configuration, read and validated once at start. Services inject `AppConfig`
 * (never `process.env`). A wrong or missing setting raises `ConfigError` naming the setting;
 * main.ts prints that one line and exits.
 *
 * Over 350 lines on purpose: the whole configuration, its defaults and its validation in one
 * schema, read once at start.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AllowList, parseAllowList } from '../common/index.js';

export type Mode = 'demo' | 'production';

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`configuration error: ${setting} ${reason}`);
  }
}

export interface AppConfig {
  mode: Mode;
  host: string;
  port: number;
  /** Public base URL of the gateway: OAuth issuer, consent links, token audience. */
  publicUrl: string;
  /** PostgreSQL URL; undefined means the embedded PGlite database under `dataDir`. */
  databaseUrl?: string;
  /** Embedded database location: a folder, or `memory://` for throwaway test databases. */
  dataDir: string;
  redisUrl?: string;
  /** 32-byte key encrypting secrets at rest (AES-256-GCM). */
  masterKey: Buffer;
  operatorToken: string;
  sessionSecret: string;
  logLevel: string;
  bodyLimit: string;
  corsOrigins: string[];
  trustProxy: boolean;
  /**
   * Production only: http:// accepted for PUBLIC_URL and FC_ISSUER because a TLS-terminating
   * proxy faces the internet (ALLOW_HTTP_BEHIND_TLS_PROXY, needs TRUST_PROXY; logged at start).
   */
  allowHttpBehindTlsProxy: boolean;
  consentRequestTtlMinutes: number;
  /** First retry delay of consent notifications (doubled at each attempt, with jitter). */
  notificationRetryBaseMs: number;
  accessTokenTtlSeconds: number;
  franceConnect: {
    issuer: string;
    clientId: string;
    clientSecret: string;
    redirectUri: string;
    postLogoutRedirectUri: string;
    scopes: string[];
    acr: string;
  };
  /**
   * Passerelle as a FranceConnect data provider (API FranceConnectée): its credentials at
   * `POST <checktokenUrl>`, that call's time budget, and the EC P-256 private JWK checktoken
   * answers may be encrypted to (its public half is published); null when not configured.
   */
  franceConnectData: {
    clientId: string;
    clientSecret: string;
    checktokenUrl: string;
    timeoutMs: number;
    encryptionKey: Record<string, unknown> | null;
  } | null;
  /**
   * Requests per minute: `perMinute` per requesting service on the client API (per IP where no
   * valid bearer token is sent), `tokenPerMinute` per IP and client_id on `POST /oauth/token`,
   * `tokenPerAddressPerMinute` per IP on `POST /oauth/token` whatever the client_id. `syncMs`:
   * how often an instance adds its hits to the counters shared in Redis and learns the others'.
   */
  rateLimit: {
    perMinute: number;
    tokenPerMinute: number;
    tokenPerAddressPerMinute: number;
    syncMs: number;
  };
  /** Prefix of every Redis key and channel (several deployments may share one Redis). */
  redisKeyPrefix: string;
  /**
   * Internal hosts the gateway may call although they are loopback, private or link-local
   * (OUTBOUND_ALLOW_LIST): every other such target of a provider, token, JWKS or notification
   * URL is refused (SSRF), at registration and at connection time.
   */
  outboundAllowList: AllowList;
  /** Calls to data providers (src/exchange): breaker, queueing and answer size. */
  exchange: { breakerResetMs: number; queueWaitMs: number; maxResponseBytes: number };
  /**
   * Longest wait, on SIGTERM/SIGINT, for the requests in flight to finish before the ones still
   * running are answered 503 `shutting_down` (src/health/drain.service.ts).
   */
  drainTimeoutMs: number;
  /**
   * Owner role's URL, used only to run migrations (the runtime role, `databaseUrl`, may not
   * alter the audit table). Undefined: migrations run with `databaseUrl`.
   */
  migrationDatabaseUrl?: string;
  /** Transparency log (src/audit/transparency-log.service.ts). */
  auditLog: { checkpointIntervalMs: number; witnessUrl?: string };
}

export type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback?: string): string {
  const value = env[name]?.trim();
  if (value) return value;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(name, 'is required');
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return value;
}

function url(
  env: Env,
  name: string,
  fallback: string | undefined,
  protocols = ['http:', 'https:'],
) {
  const value = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  }
  return value.replace(/\/+$/, '');
}

/** Demo secrets live in the data folder so that a restart keeps tokens and ciphertexts valid. */
function demoSecret(dataDir: string, file: string, make: () => string): string {
  if (dataDir.startsWith('memory://')) return make();
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = make();
  writeFileSync(path, value + '\n', { mode: 0o600 });
  return value;
}

/** A private EC P-256 JWK (ECDH-ES), as JSON. */
function encryptionJwk(env: Env, name: string, fallback: () => string | null) {
  const raw = env[name] ?? fallback();
  if (raw === null || raw === '') return null;
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new ConfigError(name, 'must be a JSON Web Key');
  }
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    throw new ConfigError(name, 'must be a private EC P-256 JWK (kty EC, crv P-256, d)');
  }
  return jwk;
}

function newEncryptionJwk(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return JSON.stringify(privateKey.export({ format: 'jwk' }));
}

function redisKeyPrefix(env: Env): string {
  const value = str(env, 'REDIS_KEY_PREFIX', 'passerelle:');
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(value)) {
    throw new ConfigError('REDIS_KEY_PREFIX', 'must be 1 to 64 of A-Z a-z 0-9 _ . : -');
  }
  return value;
}

function outboundAllowList(env: Env): AllowList {
  try {
    return parseAllowList(env.OUTBOUND_ALLOW_LIST ?? '');
  } catch (err) {
    throw new ConfigError('OUTBOUND_ALLOW_LIST', (err as Error).message);
  }
}

export function loadConfig(env: Env): AppConfig {
  const modeRaw = env.PASSERELLE_MODE ?? (env.NODE_ENV === 'production' ? 'production' : 'demo');
  if (modeRaw !== 'demo' && modeRaw !== 'production') {
    throw new ConfigError('PASSERELLE_MODE', 'must be "demo" or "production"');
  }
  const mode: Mode = modeRaw;
  const demo = mode === 'demo';
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = str(env, 'HOST', demo ? 'localhost' : '0.0.0.0');
  const publicUrl = url(env, 'PUBLIC_URL', demo ? `http://localhost:${port}` : undefined);
  const dataDir = env.DATA_DIR?.startsWith('memory://')
    ? env.DATA_DIR
    : resolve(str(env, 'DATA_DIR', './.data'));

  const databaseUrl = env.DATABASE_URL?.trim()
    ? url(env, 'DATABASE_URL', undefined, ['postgres:', 'postgresql:'])
    : undefined;
  if (!demo && !databaseUrl) throw new ConfigError('DATABASE_URL', 'is required in production');
  const migrationDatabaseUrl = env.MIGRATION_DATABASE_URL?.trim()
    ? url(env, 'MIGRATION_DATABASE_URL', undefined, ['postgres:', 'postgresql:'])
    : undefined;
  if (migrationDatabaseUrl && !databaseUrl)
    throw new ConfigError('MIGRATION_DATABASE_URL', 'needs DATABASE_URL (the runtime role)');
  const witnessUrl = env.AUDIT_WITNESS_URL?.trim()
    ? url(env, 'AUDIT_WITNESS_URL', undefined)
    : undefined;
  const redisUrl = env.REDIS_URL?.trim()
    ? url(env, 'REDIS_URL', undefined, ['redis:', 'rediss:'])
    : undefined;

  const masterKeyB64 = demo
    ? str(
        env,
        'MASTER_KEY',
        demoSecret(dataDir, 'master.key', () => randomBytes(32).toString('base64')),
      )
    : str(env, 'MASTER_KEY');
  const masterKey = Buffer.from(masterKeyB64, 'base64');
  if (masterKey.length !== 32)
    throw new ConfigError('MASTER_KEY', 'must be 32 bytes, base64-encoded');

  const operatorToken = demo
    ? str(
        env,
        'OPERATOR_TOKEN',
        demoSecret(dataDir, 'operator.token', () => randomBytes(24).toString('base64url')),
      )
    : str(env, 'OPERATOR_TOKEN');
  if (operatorToken.length < 24)
    throw new ConfigError('OPERATOR_TOKEN', 'must be at least 24 characters');
  const sessionSecret = demo
    ? str(
        env,
        'SESSION_SECRET',
        demoSecret(dataDir, 'session.secret', () => randomBytes(32).toString('base64url')),
      )
    : str(env, 'SESSION_SECRET');
  if (sessionSecret.length < 32)
    throw new ConfigError('SESSION_SECRET', 'must be at least 32 characters');

  const fcIssuer = url(env, 'FC_ISSUER', demo ? 'http://localhost:3100/api/v2' : undefined);
  const scopes = str(
    env,
    'FC_SCOPES',
    'openid given_name family_name birthdate gender birthplace birthcountry email preferred_username',
  )
    .split(/\s+/)
    .filter(Boolean);
  if (!scopes.includes('openid')) throw new ConfigError('FC_SCOPES', 'must include "openid"');
  // The consent step needs the identity pivot: each claim asked for by its own scope or a group.
  const pivotScopes: Record<string, string[]> = {
    given_name: ['given_name', 'profile', 'identite_pivot'],
    family_name: ['family_name', 'profile', 'identite_pivot'],
    birthdate: ['birthdate', 'profile', 'identite_pivot'],
    gender: ['gender', 'profile', 'identite_pivot'],
    birthplace: ['birthplace', 'birth', 'identite_pivot'],
    birthcountry: ['birthcountry', 'birth', 'identite_pivot'],
  };
  for (const [claim, via] of Object.entries(pivotScopes)) {
    if (!via.some((scope) => scopes.includes(scope))) {
      throw new ConfigError('FC_SCOPES', `must ask for the identity pivot (${claim} missing)`);
    }
  }
  // Production over plain http: no Secure cookie, no HSTS, FranceConnect's tokens in clear. Only
  // a deliberate, logged setting allows it, for a gateway behind a TLS-terminating proxy.
  const trustProxy = env.TRUST_PROXY === 'true';
  const allowHttpBehindTlsProxy = !demo && env.ALLOW_HTTP_BEHIND_TLS_PROXY === 'true';
  if (allowHttpBehindTlsProxy && !trustProxy) {
    throw new ConfigError(
      'ALLOW_HTTP_BEHIND_TLS_PROXY',
      'needs TRUST_PROXY=true (the TLS-terminating proxy in front of the gateway)',
    );
  }
  if (!demo && !allowHttpBehindTlsProxy) {
    for (const [name, value] of [
      ['PUBLIC_URL', publicUrl],
      ['FC_ISSUER', fcIssuer],
    ]) {
      if (value.startsWith('http:')) {
        throw new ConfigError(
          name,
          'must use https in production (behind a TLS-terminating proxy: ALLOW_HTTP_BEHIND_TLS_PROXY=true and TRUST_PROXY=true)',
        );
      }
    }
  }
  const fcAcr = str(env, 'FC_ACR', 'eidas1');
  if (!/^[A-Za-z0-9._:-]+$/.test(fcAcr))
    throw new ConfigError('FC_ACR', 'must be one acr value, e.g. eidas1');
  const fcRedirectUri = url(env, 'FC_REDIRECT_URI', `${publicUrl}/auth/callback`);
  if (!new URL(fcRedirectUri).pathname.endsWith('/auth/callback')) {
    throw new ConfigError('FC_REDIRECT_URI', 'must end with /auth/callback (the gateway route)');
  }
  const fcPostLogoutUri = url(env, 'FC_POST_LOGOUT_REDIRECT_URI', `${publicUrl}/auth/logged-out`);
  if (!new URL(fcPostLogoutUri).pathname.endsWith('/auth/logged-out')) {
    throw new ConfigError(
      'FC_POST_LOGOUT_REDIRECT_URI',
      'must end with /auth/logged-out (the gateway route)',
    );
  }

  // API FranceConnectée: on in demo mode (the sandbox registers Passerelle as a data
  // provider); in production only once FranceConnect has registered it.
  const dpClientId = str(
    env,
    'FC_DATA_PROVIDER_CLIENT_ID',
    demo ? 'passerelle-demo-data-provider' : '',
  );
  const franceConnectData = dpClientId
    ? {
        clientId: dpClientId,
        clientSecret: str(
          env,
          'FC_DATA_PROVIDER_CLIENT_SECRET',
          demo ? 'passerelle-demo-data-provider-secret' : undefined,
        ),
        checktokenUrl: url(env, 'FC_CHECKTOKEN_URL', `${fcIssuer}/checktoken`),
        timeoutMs: int(env, 'FC_CHECKTOKEN_TIMEOUT_MS', 3000, 100, 60_000),
        encryptionKey: encryptionJwk(env, 'FC_DATA_PROVIDER_ENCRYPTION_KEY', () =>
          demo ? demoSecret(dataDir, 'fc-data-provider-encryption.jwk', newEncryptionJwk) : null,
        ),
      }
    : null;

  return {
    mode,
    host,
    port,
    publicUrl,
    databaseUrl,
    dataDir,
    redisUrl,
    masterKey,
    operatorToken,
    sessionSecret,
    logLevel: str(env, 'LOG_LEVEL', 'info'),
    bodyLimit: str(env, 'BODY_LIMIT', '100kb'),
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy,
    allowHttpBehindTlsProxy,
    consentRequestTtlMinutes: int(env, 'CONSENT_REQUEST_TTL_MINUTES', 15, 1, 1440),
    notificationRetryBaseMs: int(env, 'NOTIFICATION_RETRY_BASE_MS', 2000, 1, 60_000),
    accessTokenTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 300, 30, 600),
    franceConnect: {
      issuer: fcIssuer,
      clientId: str(env, 'FC_CLIENT_ID', demo ? 'passerelle-demo' : undefined),
      clientSecret: str(
        env,
        'FC_CLIENT_SECRET',
        demo ? 'passerelle-demo-franceconnect-secret' : undefined,
      ),
      redirectUri: fcRedirectUri,
      postLogoutRedirectUri: fcPostLogoutUri,
      scopes,
      acr: fcAcr,
    },
    franceConnectData,
    rateLimit: {
      perMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 1200, 1, 10_000_000),
      tokenPerMinute: int(env, 'RATE_LIMIT_TOKEN_PER_MINUTE', 60, 1, 10_000_000),
      tokenPerAddressPerMinute: int(
        env,
        'RATE_LIMIT_TOKEN_PER_ADDRESS_PER_MINUTE',
        60,
        1,
        10_000_000,
      ),
      syncMs: int(env, 'RATE_LIMIT_SYNC_MS', 100, 10, 10_000),
    },
    redisKeyPrefix: redisKeyPrefix(env),
    outboundAllowList: outboundAllowList(env),
    exchange: {
      breakerResetMs: int(env, 'PROVIDER_BREAKER_RESET_MS', 5000, 100, 600_000),
      queueWaitMs: int(env, 'PROVIDER_QUEUE_WAIT_MS', 1000, 0, 60_000),
      maxResponseBytes: int(env, 'PROVIDER_MAX_RESPONSE_BYTES', 1_048_576, 1024, 64 * 1_048_576),
    },
    drainTimeoutMs: int(env, 'DRAIN_TIMEOUT_SECONDS', 25, 1, 3600) * 1000,
    migrationDatabaseUrl,
    auditLog: {
      // At most 10 s between checkpoints while events arrive (the promise made in the README).
      checkpointIntervalMs: int(env, 'AUDIT_CHECKPOINT_INTERVAL_MS', 5000, 100, 10_000),
      witnessUrl,
    },
  };
}

/** Injection token for the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');
