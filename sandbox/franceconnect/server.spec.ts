import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { CookieJar } from 'tough-cookie';
import { findCitizen } from '../citizens.js';
import {
  SandboxLoginError,
  cancelThroughSandbox,
  findSandboxLoginForm,
  loginThroughSandbox,
  navigate,
  request,
} from './browser.js';
import {
  FC_CANCEL_DESCRIPTION,
  FRANCECONNECT_FAULTS,
  pairwiseSubject,
  startFranceConnectSandbox,
  type FranceConnectSandbox,
  type SandboxClient,
} from './server.js';

/** A stand-in for the gateway: answers 200 on its callbacks and redirects /start?to=… anywhere. */
async function startRelyingParty(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://rp');
    if (u.pathname === '/start') {
      res.writeHead(302, { location: u.searchParams.get('to') ?? '/' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`rp ${u.pathname}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const SCOPE = 'openid identite_pivot email preferred_username';

describe('FranceConnect v2 sandbox', () => {
  let rp: { url: string; close(): Promise<void> };
  let sandbox: FranceConnectSandbox;
  let clientA: SandboxClient;
  let clientB: SandboxClient;
  let jwks: ReturnType<typeof jose.createLocalJWKSet>;

  beforeAll(async () => {
    rp = await startRelyingParty();
    clientA = {
      client_id: 'client-a',
      client_secret: 'client-a-secret-0123456789abcdef',
      redirect_uris: [`${rp.url}/callback`],
      post_logout_redirect_uris: [`${rp.url}/logged-out`],
    };
    clientB = {
      client_id: 'client-b',
      client_secret: 'client-b-secret-0123456789abcdef',
      redirect_uris: [`${rp.url}/callback-b`],
      post_logout_redirect_uris: [`${rp.url}/logged-out-b`],
    };
    sandbox = await startFranceConnectSandbox({ port: 0, clients: [clientA, clientB] });
    const keys = (await (await fetch(`${sandbox.issuer}/jwks`)).json()) as jose.JSONWebKeySet;
    jwks = jose.createLocalJWKSet(keys);
  });

  afterAll(async () => {
    await sandbox?.close();
    await rp?.close();
  });

  afterEach(() => sandbox.setFault(null));

  async function configFor(
    c: SandboxClient,
    auth: 'post' | 'basic' = 'post',
  ): Promise<oidc.Configuration> {
    return oidc.discovery(
      new URL(sandbox.issuer),
      c.client_id,
      { id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' },
      auth === 'post'
        ? oidc.ClientSecretPost(c.client_secret)
        : oidc.ClientSecretBasic(c.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );
  }

  interface Started {
    url: URL;
    state: string;
    nonce: string;
    verifier: string;
  }

  async function authorizationUrl(
    config: oidc.Configuration,
    c: SandboxClient,
    overrides: Record<string, string> = {},
  ): Promise<Started> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = overrides.state ?? oidc.randomState();
    const nonce = overrides.nonce ?? oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: c.redirect_uris[0],
      scope: SCOPE,
      acr_values: 'eidas1',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...overrides,
    });
    return { url, state, nonce, verifier };
  }

  /** Full browser login through the stand-in RP's /start redirect, ending on its callback. */
  async function login(c: SandboxClient, who: string, jar = new CookieJar()) {
    const config = await configFor(c);
    const started = await authorizationUrl(config, c);
    const done = await loginThroughSandbox(
      `${rp.url}/start?to=${encodeURIComponent(started.url.href)}`,
      who,
      jar,
    );
    return { config, started, done, jar };
  }

  async function rawTokenExchange(c: SandboxClient, callbackUrl: string, verifier: string) {
    const code = new URL(callbackUrl).searchParams.get('code') ?? '';
    const res = await fetch(`${sandbox.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: c.redirect_uris[0],
        client_id: c.client_id,
        client_secret: c.client_secret,
        code_verifier: verifier,
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function loggedInTokens(who = 'angela', c = clientA) {
    const { started, done } = await login(c, who);
    const { status, body } = await rawTokenExchange(c, done.url, started.verifier);
    expect(status).toBe(200);
    return { started, idToken: body.id_token as string, accessToken: body.access_token as string };
  }

  async function userinfoJwt(accessToken: string): Promise<{ type: string; jwt: string }> {
    const res = await fetch(`${sandbox.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(res.status).toBe(200);
    return { type: res.headers.get('content-type') ?? '', jwt: await res.text() };
  }

  it('publishes a FranceConnect v2 discovery document under /api/v2 with ES256 keys', async () => {
    expect(sandbox.issuer).toBe(`${sandbox.url}/api/v2`);
    expect(sandbox.url).toBe(`http://localhost:${sandbox.port}`);
    const res = await fetch(`${sandbox.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const d = (await res.json()) as Record<string, unknown>;
    expect(d).toMatchObject({
      issuer: sandbox.issuer,
      authorization_endpoint: `${sandbox.issuer}/authorize`,
      token_endpoint: `${sandbox.issuer}/token`,
      userinfo_endpoint: `${sandbox.issuer}/userinfo`,
      end_session_endpoint: `${sandbox.issuer}/session/end`,
      jwks_uri: `${sandbox.issuer}/jwks`,
      id_token_signing_alg_values_supported: ['ES256'],
      userinfo_signing_alg_values_supported: ['ES256'],
      subject_types_supported: ['pairwise'],
      acr_values_supported: ['eidas1', 'eidas2', 'eidas3'],
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expect(d.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_post', 'client_secret_basic']),
    );
    expect(d.scopes_supported).toEqual(
      expect.arrayContaining([
        'openid',
        'profile',
        'birth',
        'identite_pivot',
        'given_name',
        'family_name',
        'birthdate',
        'gender',
        'birthplace',
        'birthcountry',
        'email',
        'preferred_username',
      ]),
    );
    expect(d.claims_supported).toEqual(expect.arrayContaining(['sub', 'acr', 'birthplace']));

    const keys = (await (await fetch(`${sandbox.issuer}/jwks`)).json()) as jose.JSONWebKeySet;
    expect(keys.keys).toHaveLength(1);
    expect(keys.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys.keys[0]).not.toHaveProperty('d');
  });

  it('shows a tiny French login form without JavaScript and re-displays it on an unknown login', async () => {
    const config = await configFor(clientA);
    const { url } = await authorizationUrl(config, clientA);
    const jar = new CookieJar();
    const page = await navigate(jar, url.href);
    expect(page.status).toBe(200);
    expect(page.url).toMatch(new RegExp(`^${sandbox.issuer}/interaction/`));
    expect(page.body).toContain('<html lang="fr">');
    expect(page.body).toMatch(/<input[^>]*name="login"[^>]*type="text"/);
    expect(page.body).toMatch(/<input[^>]*name="password"[^>]*type="password"/);
    expect(page.body).toMatch(/<button type="submit">/);
    expect(page.body).not.toMatch(/<script/i);
    const form = findSandboxLoginForm(page);
    expect(form?.action).toMatch(/\/login$/);
    expect(form?.cancelUrl).toMatch(/\/abort$/);

    const again = await request(jar, form!.action, {
      body: new URLSearchParams({ login: 'inconnu', password: 'x' }),
    });
    expect(again.status).toBe(200);
    expect(findSandboxLoginForm(again)?.error).toContain('Identifiant inconnu');

    await expect(loginThroughSandbox(url.href, 'personne', new CookieJar())).rejects.toBeInstanceOf(
      SandboxLoginError,
    );
  });

  it('logs angela in headlessly from any URL and hands the code to openid-client (PKCE, state, nonce)', async () => {
    const { config, started, done } = await login(clientA, 'angela');
    expect(done.loginFormSubmitted).toBe(true);
    expect(done.status).toBe(200);
    const callback = new URL(done.url);
    expect(`${callback.origin}${callback.pathname}`).toBe(clientA.redirect_uris[0]);
    expect(callback.searchParams.get('state')).toBe(started.state);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('iss')).toBe(sandbox.issuer);
    // start URL on the "gateway", then the sandbox, then back: the hops went through /api/v2
    expect(done.hops[0].url).toMatch(/\/start\?/);
    expect(done.hops.some((h) => h.url.startsWith(`${sandbox.issuer}/authorize`))).toBe(true);

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
      idTokenExpected: true,
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(60);
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(sandbox.issuer);
    expect(claims.aud).toBe(clientA.client_id);
    expect(claims.acr).toBe('eidas1');
    expect(claims.nonce).toBe(started.nonce);
    expect(claims.sub).toMatch(/^[0-9a-f]{64}v1$/);
    expect(claims.sub).toBe(pairwiseSubject('angela', clientA.client_id));
    expect(claims.exp - claims.iat).toBe(60);

    // the ID token verifies against the published JWKS with ES256
    const { protectedHeader } = await jose.jwtVerify(tokens.id_token!, jwks, {
      issuer: sandbox.issuer,
      audience: clientA.client_id,
      algorithms: ['ES256'],
    });
    expect(protectedHeader.alg).toBe('ES256');

    // userinfo: a signed JWT (application/jwt) with the identity pivot of citizens.ts
    const { type, jwt } = await userinfoJwt(tokens.access_token);
    expect(type).toMatch(/^application\/jwt/);
    const { payload } = await jose.jwtVerify(jwt, jwks, {
      issuer: sandbox.issuer,
      audience: clientA.client_id,
      algorithms: ['ES256'],
    });
    const angela = findCitizen('angela')!;
    expect(payload).toMatchObject({
      sub: claims.sub,
      given_name: angela.given_name,
      given_name_array: ['Angela', 'Claire', 'Louise'],
      family_name: angela.family_name,
      birthdate: angela.birthdate,
      gender: angela.gender,
      birthplace: angela.birthplace,
      birthcountry: angela.birthcountry,
      email: angela.email,
      preferred_username: angela.preferred_username,
    });

    // openid-client's own userinfo call accepts it too (sub check against the ID token)
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.family_name).toBe('DUBOIS');
  });

  it('gives karim an empty birthplace, and authenticates the client with client_secret_basic', async () => {
    const config = await configFor(clientA, 'basic');
    const started = await authorizationUrl(config, clientA, {
      scope: 'openid given_name family_name birthdate gender birthplace birthcountry',
    });
    const done = await loginThroughSandbox(started.url.href, 'karim');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
    });
    const { payload } = await jose.jwtVerify((await userinfoJwt(tokens.access_token)).jwt, jwks, {
      issuer: sandbox.issuer,
      audience: clientA.client_id,
    });
    expect(payload).toHaveProperty('birthplace', '');
    expect(payload).toMatchObject({ birthcountry: '99350', gender: 'male', family_name: 'BENALI' });
    // one scope per claim: email was not asked for
    expect(payload).not.toHaveProperty('email');
  });

  it('uses a pairwise sub: two clients get different subs for the same citizen (SSO kept)', async () => {
    const jar = new CookieJar();
    const a = await login(clientA, 'helene', jar);
    const tokensA = await oidc.authorizationCodeGrant(a.config, new URL(a.done.url), {
      pkceCodeVerifier: a.started.verifier,
      expectedState: a.started.state,
      expectedNonce: a.started.nonce,
    });
    // same browser, second service: the sandbox session is reused, no form
    const b = await login(clientB, 'helene', jar);
    expect(b.done.loginFormSubmitted).toBe(false);
    expect(new URL(b.done.url).pathname).toBe('/callback-b');
    const tokensB = await oidc.authorizationCodeGrant(b.config, new URL(b.done.url), {
      pkceCodeVerifier: b.started.verifier,
      expectedState: b.started.state,
      expectedNonce: b.started.nonce,
    });
    const subA = tokensA.claims()!.sub;
    const subB = tokensB.claims()!.sub;
    expect(subA).not.toBe(subB);
    expect(subB).toBe(pairwiseSubject('helene', clientB.client_id));
    expect(tokensB.claims()!.acr).toBe('eidas1');
  });

  it('also works without PKCE (supported, not mandatory)', async () => {
    const config = await configFor(clientA);
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: clientA.redirect_uris[0],
      scope: SCOPE,
      state,
      nonce,
    });
    const done = await loginThroughSandbox(url.href, 'lucas');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
      expectedState: state,
      expectedNonce: nonce,
    });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(pairwiseSubject('lucas', clientA.client_id));
    // no acr_values sent: FranceConnect answers acr and auth_time all the same
    expect(claims.acr).toBe('eidas1');
    expect(typeof claims.auth_time).toBe('number');
  });

  it('lets another citizen log in on the same browser with prompt=login, without JavaScript', async () => {
    const jar = new CookieJar();
    await login(clientA, 'angela', jar);
    const config = await configFor(clientA);
    const started = await authorizationUrl(config, clientA, { prompt: 'login consent' });
    const done = await loginThroughSandbox(started.url.href, 'karim', jar);
    expect(done.loginFormSubmitted).toBe(true);
    expect(done.hops.every((h) => !/<script/i.test(h.body))).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
    });
    expect(tokens.claims()!.sub).toBe(pairwiseSubject('karim', clientA.client_id));
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(info.family_name).toBe('BENALI');
  });

  it.each([
    ['state', { state: 'too-short-state' }],
    ['nonce', { nonce: 'too-short-nonce' }],
  ])(
    'rejects a %s shorter than 32 characters with an invalid_request callback',
    async (what, o) => {
      const config = await configFor(clientA);
      const started = await authorizationUrl(config, clientA, o);
      const res = await navigate(
        new CookieJar(),
        started.url.href,
        {},
        {
          stopAt: clientA.redirect_uris[0],
        },
      );
      expect(res.location).toBeDefined();
      const cb = new URL(res.location!);
      expect(cb.searchParams.get('error')).toBe('invalid_request');
      expect(cb.searchParams.get('error_description')).toContain(what);
      expect(cb.searchParams.get('state')).toBe(started.state);
      expect(cb.searchParams.get('code')).toBeNull();
    },
  );

  it('sends the citizen back with error=access_denied and the state on cancel', async () => {
    const config = await configFor(clientA);
    const started = await authorizationUrl(config, clientA);
    const done = await cancelThroughSandbox(started.url.href);
    expect(done.status).toBe(200);
    const cb = new URL(done.url);
    expect(cb.pathname).toBe('/callback');
    expect(cb.searchParams.get('error')).toBe('access_denied');
    expect(cb.searchParams.get('error_description')).toBe(FC_CANCEL_DESCRIPTION);
    expect(cb.searchParams.get('state')).toBe(started.state);
  });

  it('refuses a replayed authorization code with invalid_grant', async () => {
    const { started, done } = await login(clientA, 'camille');
    const first = await rawTokenExchange(clientA, done.url, started.verifier);
    expect(first.status).toBe(200);
    const replay = await rawTokenExchange(clientA, done.url, started.verifier);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('refuses a wrong client secret and a wrong PKCE verifier', async () => {
    const { started, done } = await login(clientA, 'pierre');
    const wrongVerifier = await rawTokenExchange(clientA, done.url, oidc.randomPKCECodeVerifier());
    expect(wrongVerifier.body.error).toBe('invalid_grant');
    const { done: done2, started: started2 } = await login(clientA, 'pierre');
    const wrongSecret = await rawTokenExchange(
      { ...clientA, client_secret: 'nope' },
      done2.url,
      started2.verifier,
    );
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');
    expect(started.state).not.toBe(started2.state);
  });

  it('logs out with id_token_hint straight back to post_logout_redirect_uri with the state', async () => {
    const jar = new CookieJar();
    const { config, started, done } = await login(clientA, 'angela', jar);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
    });
    const logoutState = oidc.randomState();
    const endUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: clientA.post_logout_redirect_uris[0],
      state: logoutState,
    });
    expect(endUrl.href.startsWith(`${sandbox.issuer}/session/end?`)).toBe(true);
    const out = await navigate(jar, endUrl.href);
    expect(out.status).toBe(200);
    expect(out.url).toBe(
      `${clientA.post_logout_redirect_uris[0]}?state=${encodeURIComponent(logoutState)}`,
    );
    expect(out.hops).toHaveLength(2); // session/end, then the client: no confirmation page

    // the sandbox session is gone: a new login shows the form again
    const again = await login(clientA, 'karim', jar);
    expect(again.done.loginFormSubmitted).toBe(true);

    // a second logout without a sandbox session still returns to the client
    const out2 = await navigate(new CookieJar(), endUrl.href);
    expect(out2.url).toBe(out.url);

    // id_token_hint is mandatory, and post_logout_redirect_uri must be registered
    const noHint = await request(
      jar,
      `${sandbox.issuer}/session/end?state=${logoutState}&post_logout_redirect_uri=${encodeURIComponent(clientA.post_logout_redirect_uris[0])}`,
    );
    expect(noHint.status).toBe(400);
    const badUri = new URL(endUrl);
    badUri.searchParams.set('post_logout_redirect_uri', `${rp.url}/elsewhere`);
    const bad = await request(jar, badUri.href);
    expect(bad.status).toBe(400);
    expect(bad.location).toBeUndefined();
  });

  it('accepts a client whose redirect URIs span several hosts (sub stays per client)', async () => {
    const rpPort = new URL(rp.url).port;
    const multi: SandboxClient = {
      ...clientA,
      redirect_uris: [`${rp.url}/callback`, `http://127.0.0.1:${rpPort}/callback`],
    };
    const other = await startFranceConnectSandbox({ clients: [multi] });
    try {
      const config = await oidc.discovery(
        new URL(other.issuer),
        multi.client_id,
        { id_token_signed_response_alg: 'ES256' },
        oidc.ClientSecretPost(multi.client_secret),
        { execute: [oidc.allowInsecureRequests] },
      );
      const started = await authorizationUrl(config, multi, {
        redirect_uri: multi.redirect_uris[1],
      });
      const done = await loginThroughSandbox(started.url.href, 'camille');
      expect(done.url.startsWith(multi.redirect_uris[1])).toBe(true);
      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(done.url),
        {
          pkceCodeVerifier: started.verifier,
          expectedState: started.state,
          expectedNonce: started.nonce,
        },
        { redirect_uri: multi.redirect_uris[1] },
      );
      expect(tokens.claims()!.sub).toBe(pairwiseSubject('camille', multi.client_id));
    } finally {
      await other.close();
    }
  });

  it('fails at start on an invalid client', async () => {
    await expect(
      startFranceConnectSandbox({
        clients: [{ ...clientA, redirect_uris: [] }],
        logErrors: false,
      }),
    ).rejects.toThrow(/redirect_uris/);
  });

  describe('fault injection', () => {
    it('id_token_wrong_key: re-signed with a key absent from the JWKS (same kid)', async () => {
      sandbox.setFault('id_token_wrong_key');
      const { idToken } = await loggedInTokens();
      const header = jose.decodeProtectedHeader(idToken);
      expect(header.alg).toBe('ES256');
      await expect(jose.jwtVerify(idToken, jwks)).rejects.toMatchObject({
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
    });

    it('id_token_alg_none: an unsigned token', async () => {
      sandbox.setFault('id_token_alg_none');
      const { idToken, started } = await loggedInTokens();
      expect(jose.decodeProtectedHeader(idToken).alg).toBe('none');
      expect(idToken.endsWith('.')).toBe(true);
      expect(jose.decodeJwt(idToken).nonce).toBe(started.nonce);
      await expect(jose.jwtVerify(idToken, jwks)).rejects.toThrow();
    });

    it('id_token_wrong_audience / wrong_nonce / no_acr / expired: validly signed but wrong', async () => {
      sandbox.setFault('id_token_wrong_audience');
      let t = await loggedInTokens();
      let { payload } = await jose.jwtVerify(t.idToken, jwks, { issuer: sandbox.issuer });
      expect(payload.aud).not.toBe(clientA.client_id);

      sandbox.setFault('id_token_wrong_nonce');
      t = await loggedInTokens();
      ({ payload } = await jose.jwtVerify(t.idToken, jwks, { audience: clientA.client_id }));
      expect(payload.nonce).toBeTruthy();
      expect(payload.nonce).not.toBe(t.started.nonce);

      sandbox.setFault('id_token_no_acr');
      t = await loggedInTokens();
      ({ payload } = await jose.jwtVerify(t.idToken, jwks, { audience: clientA.client_id }));
      expect(payload).not.toHaveProperty('acr');
      expect(payload.nonce).toBe(t.started.nonce);

      sandbox.setFault('id_token_expired');
      t = await loggedInTokens();
      await expect(jose.jwtVerify(t.idToken, jwks)).rejects.toMatchObject({
        code: 'ERR_JWT_EXPIRED',
      });
      const signed = await jose.compactVerify(t.idToken, jwks); // the signature itself is fine
      expect(JSON.parse(new TextDecoder().decode(signed.payload)).exp).toBeLessThan(
        Date.now() / 1000,
      );
    });

    it('userinfo_other_sub and userinfo_wrong_key tamper with the userinfo JWT', async () => {
      sandbox.setFault('userinfo_other_sub');
      let t = await loggedInTokens('lucas');
      const idSub = jose.decodeJwt(t.idToken).sub;
      let u = await userinfoJwt(t.accessToken);
      expect(u.type).toMatch(/^application\/jwt/);
      const { payload } = await jose.jwtVerify(u.jwt, jwks, { audience: clientA.client_id });
      expect(payload.sub).toMatch(/^[0-9a-f]{64}v1$/);
      expect(payload.sub).not.toBe(idSub);
      expect(payload.family_name).toBe('MOREAU');

      sandbox.setFault('userinfo_wrong_key');
      t = await loggedInTokens('lucas');
      u = await userinfoJwt(t.accessToken);
      expect(jose.decodeJwt(u.jwt).sub).toBe(jose.decodeJwt(t.idToken).sub);
      await expect(jose.jwtVerify(u.jwt, jwks)).rejects.toMatchObject({
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
    });

    it('is also driven over HTTP by POST /__sandbox/fault, and resets with null', async () => {
      const post = (body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${sandbox.url}/__sandbox/fault`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      expect((await post({ fault: 'nope' })).status).toBe(400);
      const set = await post({ fault: 'id_token_alg_none' });
      expect(set.status).toBe(200);
      expect(await set.json()).toEqual({ fault: 'id_token_alg_none' });
      const current = await (await fetch(`${sandbox.url}/__sandbox/fault`)).json();
      expect(current).toMatchObject({ fault: 'id_token_alg_none', faults: FRANCECONNECT_FAULTS });
      expect(jose.decodeProtectedHeader((await loggedInTokens()).idToken).alg).toBe('none');
      expect((await post({ fault: null })).status).toBe(200);
      expect(jose.decodeProtectedHeader((await loggedInTokens()).idToken).alg).toBe('ES256');
      expect(() => sandbox.setFault('bogus' as never)).toThrow(TypeError);
    });

    it('protects the admin endpoint with the token given at start', async () => {
      const guarded = await startFranceConnectSandbox({
        clients: [clientA],
        adminToken: 'admin-token-for-tests',
      });
      try {
        const post = (headers: Record<string, string>) =>
          fetch(`${guarded.url}/__sandbox/fault`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ fault: 'id_token_no_acr' }),
          });
        expect((await post({})).status).toBe(401);
        const noFault = await fetch(`${guarded.url}/__sandbox/fault`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer admin-token-for-tests',
          },
          body: '{}',
        });
        expect(noFault.status).toBe(400);
        expect((await post({ authorization: 'Bearer wrong' })).status).toBe(401);
        expect((await post({ authorization: 'Bearer admin-token-for-tests' })).status).toBe(200);
        expect(guarded.port).not.toBe(sandbox.port);
      } finally {
        await guarded.close();
        await guarded.close(); // idempotent
      }
    });
  });
});
