import { Inject, Injectable } from '@nestjs/common';
import {
  RefusalAuditService,
  TransparencyLogError,
  TransparencyLogService,
  type ProofBundle,
} from '../audit/index.js';
import { CitizenErrors } from './errors.js';
import {
  CitizenConsentsService,
  type CitizenConsentsContract,
  type CitizenConsentView,
} from '../consent/index.js';
import { AccessLogService, parseCursor } from './access-log.service.js';
import type { AccessPage } from './access-log.types.js';
import type { MePageModel } from './pages/me.page.js';

/** What /me and /api/v1/me show and do: the citizen's consents, revocation, access log. */
@Injectable()
export class MeService {
  constructor(
    @Inject(CitizenConsentsService) private readonly consents: CitizenConsentsContract,
    private readonly accessLog: AccessLogService,
    private readonly transparencyLog: TransparencyLogService,
    private readonly refusals: RefusalAuditService,
  ) {}

  /**
   * The proof bundle of one access to the citizen's data. Another citizen's event, or any event
   * that is not an access, is `access_not_found` exactly like an unknown one; reaching for
   * another citizen's is audited as `authz.refused` (as for their consents, issue 12).
   */
  async accessProof(citizenId: string, eventId: string, requestId: string): Promise<ProofBundle> {
    const owner = await this.accessLog.accessOwner(eventId);
    if (owner !== citizenId) {
      const error = CitizenErrors.accessNotFound();
      if (owner !== null) {
        this.refusals.authenticated({
          actor: `citizen:${citizenId}`,
          reason: 'access_of_another_citizen',
          httpStatus: error.getStatus(),
          citizenId,
          resource: { type: 'access', id: eventId },
          requestId,
        });
      }
      throw error;
    }
    try {
      return await this.transparencyLog.bundle(eventId);
    } catch (err) {
      if (err instanceof TransparencyLogError) throw CitizenErrors.proofNotReady();
      throw err;
    }
  }

  listConsents(citizenId: string): Promise<CitizenConsentView[]> {
    return this.consents.listForCitizen(citizenId);
  }

  /** Another citizen's consent is `consent_not_found` (404), exactly like an unknown one. */
  revoke(consentId: string, citizenId: string, requestId: string): Promise<void> {
    return this.consents.revokeByCitizen(consentId, citizenId, requestId);
  }

  accesses(citizenId: string, before?: string, limit?: number): Promise<AccessPage> {
    return this.accessLog.list(citizenId, { before, limit });
  }

  /** The /me page's content; an unreadable `before` cursor shows the newest accesses. */
  async home(
    citizenId: string,
    options: { before?: string; revokedId?: string },
  ): Promise<Omit<MePageModel, 'csrf'>> {
    const before = parseCursor(options.before) !== null ? options.before : undefined;
    const [consents, accesses] = await Promise.all([
      this.listConsents(citizenId),
      this.accesses(citizenId, before),
    ]);
    const revoked = options.revokedId
      ? consents.find((c) => c.id === options.revokedId && c.status === 'revoked')
      : undefined;
    return {
      consents,
      accesses: accesses.items,
      olderCursor: accesses.nextCursor,
      laterPage: before !== undefined,
      ...(revoked ? { revokedService: revoked.client.name } : {}),
    };
  }
}
