import type { ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../common/index.js';
import {
  CitizenSessionGuard,
  citizenOf,
  SESSION_ABSOLUTE_LIFETIME_MS,
} from './citizen-session.guard.js';
import { assertCsrf, csrfToken, verifyCsrf } from './csrf.js';

function requestWith(
  session: Record<string, unknown> | undefined,
  url: string,
  method = 'GET',
): Request {
  return { session, originalUrl: url, method } as unknown as Request;
}

function contextOf(req: Request): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

const LOGGED_IN = {
  citizenId: '5f0c6d7e-0000-4000-8000-000000000001',
  sub: 'abc123v1',
  identity: { given_name: 'Angela' },
  loginAt: Date.now(),
};

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('CitizenSessionGuard', () => {
  const guard = new CitizenSessionGuard();

  it('lets a logged-in citizen through', () => {
    expect(guard.canActivate(contextOf(requestWith({ ...LOGGED_IN }, '/me')))).toBe(true);
  });

  it('sends an HTML route to the login with returnTo = the current page', () => {
    const err = thrown(() => guard.canActivate(contextOf(requestWith({}, '/consent/42?x=1'))));
    expect(err.getStatus()).toBe(303);
    expect(err.code).toBe('citizen_session_required');
    expect(err.headers.Location).toBe('/auth/login?returnTo=%2Fconsent%2F42%3Fx%3D1');
  });

  it('sends a form POST back to /me after login (a POST cannot be replayed)', () => {
    const err = thrown(() =>
      guard.canActivate(contextOf(requestWith({}, '/me/consents/1/revoke', 'POST'))),
    );
    expect(err.headers.Location).toBe('/auth/login?returnTo=%2Fme');
  });

  it('answers 401 problem citizen_session_required on JSON routes', () => {
    const err = thrown(() =>
      guard.canActivate(contextOf(requestWith(undefined, '/api/v1/me/consents'))),
    );
    expect(err.getStatus()).toBe(401);
    expect(err.code).toBe('citizen_session_required');
  });

  it('ends a login older than the absolute lifetime even if the session was kept alive', () => {
    const old = { ...LOGGED_IN, loginAt: Date.now() - SESSION_ABSOLUTE_LIFETIME_MS - 1000 };
    expect(citizenOf(requestWith(old, '/me'))).toBeNull();
    expect(citizenOf(requestWith({ ...LOGGED_IN, identity: undefined }, '/me'))).toBeNull();
  });
});

describe('CSRF synchronizer token', () => {
  it('issues one token per session and accepts only that one', () => {
    const req = requestWith({}, '/consent/1');
    const token = csrfToken(req);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfToken(req)).toBe(token);
    expect(verifyCsrf(req, token)).toBe(true);
    expect(() => assertCsrf(req, token)).not.toThrow();
    for (const bad of [undefined, '', 'x', token.slice(1), [token], token + 'a']) {
      expect(verifyCsrf(req, bad)).toBe(false);
      expect(thrown(() => assertCsrf(req, bad)).code).toBe('csrf_token_invalid');
    }
    expect(verifyCsrf(requestWith({}, '/x'), token)).toBe(false);
  });

  it('refuses everything when the session has no token yet', () => {
    expect(verifyCsrf(requestWith({}, '/x'), '')).toBe(false);
    expect(verifyCsrf(requestWith(undefined, '/x'), 'abc')).toBe(false);
  });
});
