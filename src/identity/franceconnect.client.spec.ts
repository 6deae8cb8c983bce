import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import { ConfigError, loadConfig, type AppConfig } from '../config/index.js';
import { LoginError } from './errors.js';
import { acrSatisfies, FranceConnectClient, identityFrom } from './franceconnect.client.js';

/**
 * A bare OpenID provider stand-in (discovery + JWKS only), so that the key set can be rotated
 * and the fetches counted. The FranceConnect sandbox covers the full flow in the e2e tests.
 */
async function startKeyServer(): Promise<{
  issuer: string;
  keys: jose.JWK[];
  jwksFetches: number;
  discovery: Record<string, unknown>;
  close(): Promise<void>;
}> {
  const state = {
    issuer: '',
    keys: [] as jose.JWK[],
    jwksFetches: 0,
    discovery: {} as Record<string, unknown>,
    close: async () => undefined as void,
  };
  const server: Server = createServer((req, res) => {
    if (req.url === '/api/v2/.well-known/openid-configuration') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(state.discovery));
    } else if (req.url === '/api/v2/jwks') {
      state.jwksFetches += 1;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: state.keys }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  state.issuer = `http://localhost:${port}/api/v2`;
  state.discovery = {
    issuer: state.issuer,
    authorization_endpoint: `${state.issuer}/authorize`,
    token_endpoint: `${state.issuer}/token`,
    userinfo_endpoint: `${state.issuer}/userinfo`,
    jwks_uri: `${state.issuer}/jwks`,
    end_session_endpoint: `${state.issuer}/session/end`,
    code_challenge_methods_supported: ['S256'],
  };
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

async function signingKey(): Promise<{ key: jose.CryptoKey; jwk: jose.JWK }> {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256');
  const jwk = await jose.exportJWK(publicKey);
  jwk.kid = await jose.calculateJwkThumbprint(jwk);
  jwk.alg = 'ES256';
  return { key: privateKey, jwk };
}

function configFor(issuer: string): AppConfig {
  return loadConfig({
    PASSERELLE_MODE: 'demo',
    DATA_DIR: 'memory://',
    FC_ISSUER: issuer,
    FC_CLIENT_ID: 'rp',
    FC_CLIENT_SECRET: 'secret',
  });
}

const NONCE = 'n'.repeat(43);

describe('FranceConnectClient', () => {
  let server: Awaited<ReturnType<typeof startKeyServer>>;

  beforeEach(async () => {
    server = await startKeyServer();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await server.close();
  });

  async function idToken(
    key: { key: jose.CryptoKey; jwk: jose.JWK },
    claims: jose.JWTPayload = {},
  ): Promise<string> {
    return new jose.SignJWT({ nonce: NONCE, acr: 'eidas1', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid })
      .setIssuer(server.issuer)
      .setAudience('rp')
      .setSubject('sub-1')
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(key.key);
  }

  async function codeOf(promise: Promise<unknown>): Promise<string> {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof LoginError)) throw new Error(`expected a LoginError, got ${String(err)}`);
    return err.code;
  }

  it('follows a key rotation: an unknown kid refetches the JWKS (at most once per cooldown)', async () => {
    const first = await signingKey();
    const second = await signingKey();
    server.keys = [first.jwk];
    const client = new FranceConnectClient(configFor(server.issuer));

    const verified = await client.verifyIdToken(await idToken(first), NONCE);
    expect(verified.sub).toBe('sub-1');
    expect(server.jwksFetches).toBe(1);
    // Cached: no second fetch for a known kid.
    await client.verifyIdToken(await idToken(first), NONCE);
    expect(server.jwksFetches).toBe(1);

    server.keys = [second.jwk];
    // Right after a fetch, an unknown kid is refused without hammering the provider…
    expect(await codeOf(client.verifyIdToken(await idToken(second), NONCE))).toBe(
      'login_id_token_invalid',
    );
    expect(server.jwksFetches).toBe(1);
    // …and once the cooldown has passed, it is fetched again and accepted.
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 31_000);
    expect((await client.verifyIdToken(await idToken(second), NONCE)).sub).toBe('sub-1');
    expect(server.jwksFetches).toBe(2);
  });

  it('refuses a token of another issuer, an unlisted algorithm, a wrong azp', async () => {
    const key = await signingKey();
    server.keys = [key.jwk];
    const client = new FranceConnectClient(configFor(server.issuer));
    const otherIssuer = await new jose.SignJWT({ nonce: NONCE, acr: 'eidas1' })
      .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid })
      .setIssuer('https://other.example')
      .setAudience('rp')
      .setSubject('s')
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(key.key);
    expect(await codeOf(client.verifyIdToken(otherIssuer, NONCE))).toBe('login_id_token_invalid');

    const hs = await new jose.SignJWT({ nonce: NONCE, acr: 'eidas1' })
      .setProtectedHeader({ alg: 'HS256', kid: key.jwk.kid })
      .setIssuer(server.issuer)
      .setAudience('rp')
      .setSubject('s')
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await codeOf(client.verifyIdToken(hs, NONCE))).toBe('login_id_token_invalid');

    expect(await codeOf(client.verifyIdToken(await idToken(key, { azp: 'another' }), NONCE))).toBe(
      'login_id_token_invalid',
    );
    expect(await codeOf(client.verifyIdToken(await idToken(key, { acr: 'eidas0' }), NONCE))).toBe(
      'login_acr_insufficient',
    );
    expect(await codeOf(client.verifyIdToken(await idToken(key), 'm'.repeat(43)))).toBe(
      'login_nonce_mismatch',
    );
  });

  it('reads PKCE support from discovery and refuses a discovery document of another issuer', async () => {
    const client = new FranceConnectClient(configFor(server.issuer));
    expect((await client.describe()).pkce).toBe(true);

    server.discovery = { ...server.discovery, code_challenge_methods_supported: ['plain'] };
    expect((await new FranceConnectClient(configFor(server.issuer)).describe()).pkce).toBe(false);

    server.discovery = { ...server.discovery, issuer: 'https://evil.example/api/v2' };
    expect(await codeOf(new FranceConnectClient(configFor(server.issuer)).describe())).toBe(
      'login_provider_unavailable',
    );
  });

  it('builds the end-session URL with id_token_hint, state and the registered return URI', async () => {
    const config = configFor(server.issuer);
    const url = new URL((await new FranceConnectClient(config).endSessionUrl('tok', 'st')) ?? '');
    expect(`${url.origin}${url.pathname}`).toBe(`${server.issuer}/session/end`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      id_token_hint: 'tok',
      state: 'st',
      post_logout_redirect_uri: config.franceConnect.postLogoutRedirectUri,
    });
  });
});

describe('acr and identity claims', () => {
  it('orders eIDAS levels', () => {
    expect(acrSatisfies('eidas1', 'eidas1')).toBe(true);
    expect(acrSatisfies('eidas2', 'eidas1')).toBe(true);
    expect(acrSatisfies('eidas1', 'eidas2')).toBe(false);
    expect(acrSatisfies(undefined, 'eidas1')).toBe(false);
    expect(acrSatisfies('', 'eidas1')).toBe(false);
    expect(acrSatisfies(['eidas3'], 'eidas1')).toBe(false);
    expect(acrSatisfies('custom', 'custom')).toBe(true);
    expect(acrSatisfies('eidas3', 'custom')).toBe(false);
  });

  it('takes the identity pivot (empty birthplace allowed) and refuses an incomplete one', () => {
    const claims = {
      sub: 's',
      given_name: 'Karim Youssef',
      family_name: 'BENALI',
      birthdate: '1990-03-15',
      gender: 'male',
      birthplace: '',
      birthcountry: '99350',
      email: 'karim@example.fr',
      acr: 'eidas1',
    };
    expect(identityFrom(claims)).toEqual({
      given_name: 'Karim Youssef',
      family_name: 'BENALI',
      birthdate: '1990-03-15',
      gender: 'male',
      birthplace: '',
      birthcountry: '99350',
      email: 'karim@example.fr',
    });
    expect(() => identityFrom({ ...claims, birthcountry: undefined })).toThrow(LoginError);
    expect(() => identityFrom({ ...claims, given_name: 42 })).toThrow(LoginError);
  });
});

describe('FranceConnect settings', () => {
  const base = { PASSERELLE_MODE: 'demo', DATA_DIR: 'memory://' };

  function settingOf(env: Record<string, string>): string {
    try {
      loadConfig({ ...base, ...env });
    } catch (err) {
      if (err instanceof ConfigError) return err.setting;
      throw err;
    }
    return 'none';
  }

  it('requires scopes covering the identity pivot, one scope per claim or grouped', () => {
    expect(settingOf({ FC_SCOPES: 'openid email' })).toBe('FC_SCOPES');
    expect(settingOf({ FC_SCOPES: 'openid profile' })).toBe('FC_SCOPES');
    expect(settingOf({ FC_SCOPES: 'openid profile birth email' })).toBe('none');
    expect(settingOf({ FC_SCOPES: 'openid identite_pivot' })).toBe('none');
  });

  it('requires the redirect URIs to reach the gateway routes, and one acr value', () => {
    expect(settingOf({ FC_REDIRECT_URI: 'http://localhost:3000/callback' })).toBe(
      'FC_REDIRECT_URI',
    );
    expect(settingOf({ FC_POST_LOGOUT_REDIRECT_URI: 'http://localhost:3000/' })).toBe(
      'FC_POST_LOGOUT_REDIRECT_URI',
    );
    expect(settingOf({ FC_ACR: 'eidas1 eidas2' })).toBe('FC_ACR');
  });
});
