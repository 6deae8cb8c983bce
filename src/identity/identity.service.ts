import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomToken, safeEqual } from '../common/index.js';
import { AuditOutcomes, AuditService } from '../audit/index.js';
import { CitizenRepository } from './citizen.repository.js';
import { SESSION_COOKIE_NAME } from './citizen-session.middleware.js';
import { LoginError } from './errors.js';
import { FranceConnectClient } from './franceconnect.client.js';
import type { FranceConnectLogin } from './franceconnect.strategy.js';

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())),
  );
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.save((err: unknown) => (err ? reject(err) : resolve())),
  );
}

function destroy(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.destroy((err: unknown) => (err ? reject(err) : resolve())),
  );
}

export type LogoutOutcome =
  /** Go through FranceConnect's end-session, which comes back to /auth/logged-out. */
  | { kind: 'provider'; url: string }
  /** Logged out here; FranceConnect was not involved (no FC session known, or unreachable). */
  | { kind: 'local'; providerReached: boolean };

/** The rules of citizen login and logout once FranceConnect has answered. */
@Injectable()
export class IdentityService {
  private readonly logger = new Logger(IdentityService.name);

  constructor(
    private readonly citizens: CitizenRepository,
    private readonly audit: AuditService,
    private readonly fc: FranceConnectClient,
  ) {}

  /**
   * The citizen a FranceConnect pairwise `sub` names, created if new (no login recorded): the
   * API FranceConnectée's accesses are logged under it, so that the citizen sees them at /me
   * when they log in (FranceConnect gives Passerelle's login and data-provider registrations
   * the same `sub` when they belong to one entity). One INSERT … ON CONFLICT statement.
   */
  async citizenIdForSub(sub: string): Promise<string> {
    return this.citizens.upsertBySub(sub);
  }

  /**
   * Finds or creates the citizen by pairwise `sub` (nothing else about them is stored), audits
   * the login, then starts a fresh session (new id: no fixation) holding who they are.
   * Returns where to send the browser.
   */
  async completeLogin(req: Request, login: FranceConnectLogin): Promise<string> {
    const now = new Date();
    // One statement: INSERT … ON CONFLICT (sub) DO UPDATE, safe under concurrent first logins.
    const citizen = { id: await this.citizens.upsertBySub(login.sub, now) };
    // Audited before the session exists: no session without its audit record.
    await this.audit.record({
      kind: 'login.succeeded',
      actor: `citizen:${citizen.id}`,
      citizenId: citizen.id,
      outcome: AuditOutcomes.success,
      httpStatus: 303,
      requestId: req.id,
      details: { acr: login.acr },
    });
    await regenerate(req);
    req.session.citizenId = citizen.id;
    req.session.sub = login.sub;
    req.session.idToken = login.idToken;
    req.session.identity = login.identity;
    req.session.acr = login.acr;
    req.session.loginAt = now.getTime();
    await save(req);
    return login.returnTo;
  }

  /** Audits a refused or failed login. Never throws: the error page must still be shown. */
  async recordLoginFailure(req: Request, error: LoginError): Promise<void> {
    try {
      await this.audit.record({
        kind: error.code === 'login_rate_limited' ? 'login.rate_limited' : 'login.failed',
        actor: 'anonymous',
        outcome:
          error.code === 'login_rate_limited'
            ? AuditOutcomes.rateLimited
            : error.status >= 500
              ? AuditOutcomes.error
              : AuditOutcomes.refused,
        httpStatus: error.status,
        requestId: req.id,
        details: { reason: error.code, detail: error.reason.slice(0, 200) },
      });
    } catch (err) {
      this.logger.error({ err, reason: error.code }, 'login.failed could not be audited');
    }
  }

  /**
   * Ends the local session first (whatever FranceConnect does next, the citizen is logged out
   * here), then prepares FranceConnect's RP-initiated logout with a fresh `state` kept in a new,
   * otherwise empty session.
   */
  async logout(req: Request): Promise<LogoutOutcome> {
    const { idToken, citizenId } = req.session;
    await regenerate(req);
    if (citizenId) {
      this.audit.recordQuietly({
        kind: 'logout',
        actor: `citizen:${citizenId}`,
        citizenId,
        outcome: AuditOutcomes.success,
        requestId: req.id,
      });
    }
    if (!idToken) {
      await destroy(req);
      return { kind: 'local', providerReached: true };
    }
    const state = randomToken(32);
    const url = await this.fc.endSessionUrl(idToken, state);
    if (!url) {
      await destroy(req);
      return { kind: 'local', providerReached: false };
    }
    req.session.logoutState = state;
    await save(req);
    return { kind: 'provider', url };
  }

  /**
   * FranceConnect's return from end-session: the `state` must be the one we sent from this
   * browser. On success the leftover session is destroyed and its cookie cleared.
   */
  async completeLogout(req: Request, res: Response, state: unknown): Promise<void> {
    const expected = req.session.logoutState;
    if (!expected || typeof state !== 'string' || !safeEqual(state, expected)) {
      throw new LoginError('logout_state_mismatch', 'unknown logout state');
    }
    await destroy(req);
    res.clearCookie(SESSION_COOKIE_NAME, { path: '/' });
  }
}
