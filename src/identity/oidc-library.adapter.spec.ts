/**
 * Contract test of oidc-library.adapter.ts: each assumption it makes about passport-openidconnect,
 * the `oauth` package and @nestjs/passport (A1–A7, listed in its header) is tried against the
 * installed versions, the token endpoint being a real HTTP server on the loopback. A library
 * upgrade that breaks one fails the test named after it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoginError } from './errors.js';
import {
  OIDC_LIBRARY_VERSION,
  OidcLibraryContractError,
  OidcPassportStrategy,
  captureOAuth2,
  oauth2ForRequest,
  useForRequest,
  type OAuth2,
  type OidcContext,
  type StateStore,
  type TokenExchange,
  type VerifyArguments,
} from './oidc-library.adapter.js';

const ISSUER = 'http://127.0.0.1:1/issuer';
const CLIENT_ID = 'contract-client';
const CALLBACK = 'http://127.0.0.1:1/auth/callback';
const NONCE = 'n'.repeat(43);

/** A state store that records what the library hands it. */
class RecordingStore implements StateStore {
  stored: Array<{ ctx: OidcContext; appState: unknown }> = [];
  store(
    _req: unknown,
    ctx: OidcContext,
    appState: unknown,
    _meta: unknown,
    cb: (e: unknown, h?: string) => void,
  ) {
    this.stored.push({ ctx, appState });
    cb(null, 'state-handle');
  }
  verify(
    _req: unknown,
    handle: unknown,
    cb: (e: unknown, ctx?: OidcContext | false, s?: unknown) => void,
  ) {
    cb(null, handle === 'state-handle' ? { nonce: NONCE } : false, { returnTo: '/me' });
  }
}

class ContractStrategy extends OidcPassportStrategy('oidc-library-contract') {
  readonly calls: VerifyArguments[] = [];
  async validate(...args: VerifyArguments): Promise<{ sub: string }> {
    this.calls.push(args);
    return { sub: 'validated' };
  }
}

type Outcome =
  | { action: 'redirect'; url: string }
  | { action: 'success'; user: unknown }
  | { action: 'fail'; info: unknown }
  | { action: 'error'; err: unknown };

/**
 * Passport's way: a per-request copy of the strategy with its actions. `setup` prepares the
 * copy (as the FranceConnect strategy does in `authenticate`), given how to report an error.
 */
function authenticate(
  strategy: ContractStrategy,
  req: Record<string, unknown>,
  options: object,
  setup: (copy: ContractStrategy, error: (err: unknown) => void) => void,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const copy = Object.create(strategy) as ContractStrategy & Record<string, unknown>;
    copy.redirect = (url: string) => resolve({ action: 'redirect', url });
    copy.success = (user: unknown) => resolve({ action: 'success', user });
    copy.fail = (info: unknown) => resolve({ action: 'fail', info });
    copy.error = (err: unknown) => resolve({ action: 'error', err });
    setup(copy, copy.error as (err: unknown) => void);
    copy.authenticate(req as never, options);
  });
}

function unsignedIdToken(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

describe(`passport-openidconnect ${OIDC_LIBRARY_VERSION}: the adapter's assumptions`, () => {
  let server: Server;
  let tokenUrl: string;
  let tokenRequests: URLSearchParams[];
  let answer: (res: import('node:http').ServerResponse) => void;
  let strategy: ContractStrategy;
  let store: RecordingStore;
  let base: OAuth2;

  const idToken = unsignedIdToken({
    iss: ISSUER,
    sub: 'citizen-sub',
    aud: CLIENT_ID,
    exp: Math.floor(Date.now() / 1000) + 600,
    iat: Math.floor(Date.now() / 1000),
    nonce: NONCE,
  });
  const tokenAnswer = (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: 'AT', token_type: 'Bearer', id_token: idToken }));
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        tokenRequests.push(new URLSearchParams(body));
        answer(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovered/token`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    tokenRequests = [];
    answer = tokenAnswer;
    store = new RecordingStore();
    strategy = new ContractStrategy({
      issuer: 'http://127.0.0.1:1/placeholder-issuer',
      authorizationURL: 'http://127.0.0.1:1/placeholder/authorize',
      tokenURL: 'http://127.0.0.1:1/placeholder/token',
      clientID: CLIENT_ID,
      clientSecret: 'secret',
      callbackURL: CALLBACK,
      scope: ['profile'],
      skipUserProfile: true,
      passReqToCallback: true,
      store,
    });
    base = captureOAuth2(strategy);
  });

  function exchange(overrides: Partial<TokenExchange>, fail: (e: unknown) => void): OAuth2 {
    return oauth2ForRequest(base, {
      authorizeUrl: 'http://127.0.0.1:1/discovered/authorize',
      tokenUrl,
      timeoutMs: 5000,
      beforeExchange: (form) => {
        form.code_verifier = 'the-verifier';
      },
      afterExchange: async () => undefined,
      fail,
      ...overrides,
    });
  }

  it('is the pinned version (package.json pins it exactly, the adapter was written for it)', () => {
    const installed = JSON.parse(
      readFileSync(join(process.cwd(), 'node_modules/passport-openidconnect/package.json'), 'utf8'),
    ) as { version: string };
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(installed.version).toBe(OIDC_LIBRARY_VERSION);
    expect(pkg.dependencies['passport-openidconnect']).toBe(OIDC_LIBRARY_VERSION);
  });

  it('A1–A4 shape: the strategy carries an `oauth` OAuth2 client with the fields the adapter uses', () => {
    expect(base._authorizeUrl).toBe('http://127.0.0.1:1/placeholder/authorize');
    expect(base._accessTokenUrl).toBe('http://127.0.0.1:1/placeholder/token');
    // And a strategy without them is refused, naming the assumption (the gateway does not start).
    expect(() => captureOAuth2({})).toThrow(OidcLibraryContractError);
    expect(() => captureOAuth2({})).toThrow(/assumption A1/);
  });

  it('A1, A2, A5, A6 login: the redirect goes to the per-request authorize URL with our parameters, nonce and state reach the store', async () => {
    const outcome = await authenticate(
      strategy,
      { query: {}, headers: {} },
      { state: { returnTo: '/me' } },
      (copy, error) => {
        copy.authorizationParams = () => ({ nonce: NONCE, code_challenge: 'challenge' });
        useForRequest(copy, ISSUER, exchange({}, error));
      },
    );
    expect(outcome.action).toBe('redirect');
    const url = new URL((outcome as { url: string }).url);
    expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:1/discovered/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      nonce: NONCE,
      code_challenge: 'challenge',
      state: 'state-handle',
      client_id: CLIENT_ID,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid profile',
    });
    expect(store.stored).toEqual([{ ctx: { nonce: NONCE }, appState: { returnTo: '/me' } }]);
  });

  it('A2, A4, A6, A7 callback: a request with `code` exchanges it at the per-request token URL with our form additions; the answer is seen first; validate gets (req, iss, …, idToken, accessToken)', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const req = { query: { code: 'the-code', state: 'state-handle' }, headers: {} };
    const outcome = await authenticate(strategy, req, {}, (copy, error) => {
      useForRequest(
        copy,
        ISSUER,
        exchange({ afterExchange: async (results) => void seen.push(results) }, error),
      );
    });
    expect(outcome).toEqual({ action: 'success', user: { sub: 'validated' } });
    expect(tokenRequests).toHaveLength(1);
    expect(Object.fromEntries(tokenRequests[0])).toMatchObject({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: CALLBACK,
      code_verifier: 'the-verifier',
    });
    expect(seen).toEqual([expect.objectContaining({ id_token: idToken })]);
    expect(strategy.calls).toHaveLength(1);
    const [gotReq, iss, , , gotIdToken, accessToken] = strategy.calls[0];
    expect(gotReq).toBe(req);
    expect(iss).toBe(ISSUER);
    expect(gotIdToken).toBe(idToken);
    expect(accessToken).toBe('AT');
  });

  it('A2, A4: the library compares the ID token issuer with the per-request `_issuer`', async () => {
    const req = { query: { code: 'the-code', state: 'state-handle' }, headers: {} };
    const outcome = await authenticate(strategy, req, {}, (copy, error) => {
      useForRequest(copy, 'http://127.0.0.1:1/another-issuer', exchange({}, error));
    });
    expect(outcome.action).toBe('fail');
    expect(strategy.calls).toHaveLength(0);
  });

  it('A4: a failed check on the answer stops the library before it reads the token', async () => {
    const req = { query: { code: 'the-code', state: 'state-handle' }, headers: {} };
    const refused = new LoginError('login_id_token_invalid', 'refused by the test');
    const outcome = await authenticate(strategy, req, {}, (copy, error) => {
      useForRequest(
        copy,
        ISSUER,
        exchange(
          {
            afterExchange: async () => {
              throw refused;
            },
          },
          error,
        ),
      );
    });
    expect(outcome).toEqual({ action: 'error', err: refused });
    expect(strategy.calls).toHaveLength(0);
  });

  it('A4: a token endpoint error is `{statusCode, data}`, mapped to a stable login code', async () => {
    answer = (res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_grant' }));
    };
    const req = { query: { code: 'used-code', state: 'state-handle' }, headers: {} };
    const outcome = await authenticate(strategy, req, {}, (copy, error) => {
      useForRequest(copy, ISSUER, exchange({}, error));
    });
    expect(outcome.action).toBe('error');
    expect((outcome as { err: LoginError }).err).toBeInstanceOf(LoginError);
    expect((outcome as { err: LoginError }).err.code).toBe('login_code_rejected');
  });

  it('A3: the token request goes through _executeRequest, whose options reach http.request (the time limit aborts a silent endpoint)', async () => {
    answer = () => undefined; // accepts the request, never answers
    const req = { query: { code: 'the-code', state: 'state-handle' }, headers: {} };
    const outcome = await authenticate(strategy, req, {}, (copy, error) => {
      useForRequest(copy, ISSUER, exchange({ timeoutMs: 200 }, error));
    });
    expect(outcome.action).toBe('error');
    expect((outcome as { err: LoginError }).err.code).toBe('login_provider_unavailable');
    expect(tokenRequests).toHaveLength(1);
  });
});
