import { Controller, Get, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RefusalAuditService } from '../audit/index.js';
import { CitizenSessionGuard, CurrentCitizen } from './citizen-session.guard.js';
import { FranceConnectCallbackGuard, FranceConnectLoginGuard } from './franceconnect.guard.js';
import type { FranceConnectLogin } from './franceconnect.strategy.js';
import type { CitizenPrincipal } from './identity.types.js';
import { IdentityService } from './identity.service.js';
import { LoginErrorFilter } from './login-error.filter.js';
import { csrfToken, verifyCsrf } from './csrf.js';
import { LoginError } from './errors.js';
import { loggedOutPage, logoutConfirmPage, whoamiPage } from './pages.js';
import { DEFAULT_RETURN_TO, parseReturnTo } from './return-to.js';

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
}

/**
 * Citizen login through FranceConnect (HTML, browser-facing: not part of the API document).
 * Query parameters are read by the guards and the strategy, not through DTOs: FranceConnect's
 * callbacks may carry parameters of their own, which a whitelist would turn into an error.
 */
@ApiExcludeController()
@Controller('auth')
@UseFilters(LoginErrorFilter)
export class AuthController {
  constructor(
    private readonly identity: IdentityService,
    private readonly refusals: RefusalAuditService,
  ) {}

  /** Reached only when already logged in: the guard otherwise redirects to FranceConnect. */
  @Get('login')
  @UseGuards(FranceConnectLoginGuard)
  login(@Req() req: Request, @Res() res: Response): void {
    res.redirect(303, parseReturnTo(req.query.returnTo) ?? DEFAULT_RETURN_TO);
  }

  @Get('callback')
  @UseGuards(FranceConnectCallbackGuard)
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    const returnTo = await this.identity.completeLogin(req, req.user as FranceConnectLogin);
    res.set('Cache-Control', 'no-store').redirect(303, returnTo);
  }

  /** Asks only: a GET that any page can trigger must not log the citizen out. */
  @Get('logout')
  logoutConfirm(@Req() req: Request, @Res() res: Response): void {
    sendPage(res, 200, logoutConfirmPage(csrfToken(req)));
  }

  /** The citizen's logout: a POST carrying the session's CSRF token. */
  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = req.body as Record<string, unknown> | undefined;
    if (!verifyCsrf(req, body && typeof body === 'object' ? body.csrf : undefined)) {
      const citizenId = req.session?.citizenId;
      if (citizenId) {
        this.refusals.authenticated(
          {
            actor: `citizen:${citizenId}`,
            reason: 'csrf_token_invalid',
            httpStatus: 403,
            citizenId,
          },
          req,
        );
      } else {
        this.refusals.unauthenticated(req, 'csrf_token_invalid');
      }
      throw new LoginError('logout_csrf_invalid', 'logout without a valid CSRF token');
    }
    const outcome = await this.identity.logout(req);
    if (outcome.kind === 'provider') {
      res.set('Cache-Control', 'no-store').redirect(303, outcome.url);
      return;
    }
    sendPage(res, 200, loggedOutPage(outcome.providerReached));
  }

  @Get('logged-out')
  async loggedOut(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.identity.completeLogout(req, res, req.query.state);
    sendPage(res, 200, loggedOutPage(true));
  }
}

/** A protected page proving the login (the citizen's real home, /me, belongs to the citizen module). */
@ApiExcludeController()
@Controller('auth')
export class WhoamiController {
  @Get('whoami')
  @UseGuards(CitizenSessionGuard)
  whoami(
    @CurrentCitizen() citizen: CitizenPrincipal,
    @Req() req: Request,
    @Res() res: Response,
  ): void {
    sendPage(res, 200, whoamiPage(citizen, csrfToken(req)));
  }
}
