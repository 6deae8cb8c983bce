import { Module } from '@nestjs/common';
import { AuthController, WhoamiController } from './auth.controller.js';
import { CitizenSessionGuard } from './citizen-session.guard.js';
import { CitizenSessionMiddleware } from './citizen-session.middleware.js';
import { FranceConnectClient } from './franceconnect.client.js';
import { FranceConnectStrategy } from './franceconnect.strategy.js';
import { CitizenRepository } from './citizen.repository.js';
import { SessionRepository } from './session.repository.js';
import { IdentityService } from './identity.service.js';
import { LoginErrorFilter } from './login-error.filter.js';

/**
 * Citizen identity: FranceConnect login (OpenID Connect, verified with jose), citizen sessions
 * (express-session on PostgreSQL or Redis), the guard and decorator other modules protect their
 * pages with, and the CSRF helpers for their forms. See index.ts for what to import.
 */
@Module({
  controllers: [AuthController, WhoamiController],
  providers: [
    CitizenRepository,
    SessionRepository,
    FranceConnectClient,
    FranceConnectStrategy,
    IdentityService,
    CitizenSessionMiddleware,
    CitizenSessionGuard,
    LoginErrorFilter,
  ],
  exports: [CitizenSessionMiddleware, CitizenSessionGuard, IdentityService, FranceConnectClient],
})
export class IdentityModule {}
