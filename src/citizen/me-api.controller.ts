import {
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiCookieAuth,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { CitizenConsentView } from '../consent/index.js';
import { ApiProblems } from '../common/index.js';
import {
  CitizenSessionGuard,
  CurrentCitizen,
  csrfToken,
  type CitizenPrincipal,
} from '../identity/index.js';
import type { AccessEntry } from './access-log.types.js';
import { CSRF_HEADER, HeaderCsrfGuard } from './csrf.guard.js';
import {
  AccessDto,
  AccessPageDto,
  AccessQueryDto,
  CitizenConsentDto,
  CitizenConsentListDto,
  CsrfTokenDto,
  ProofBundleDto,
} from './dto/me.dto.js';
import { AccessIdPipe, accessProofPath, ConsentIdPipe } from './http.js';
import { MeService } from './me.service.js';

/**
 * The citizen's data as JSON, for an app running in the citizen's browser on the gateway's
 * origin (session cookie from the FranceConnect login). State-changing calls need the
 * `X-CSRF-Token` header with the token of `GET /api/v1/me/csrf`.
 */
@ApiTags('citizen')
@ApiCookieAuth('citizen')
@Controller('api/v1/me')
@UseGuards(CitizenSessionGuard)
@ApiProblems(401)
export class MeApiController {
  constructor(private readonly me: MeService) {}

  @Get('csrf')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'The session’s CSRF token, for the X-CSRF-Token header',
    description:
      'A session-authenticated app sends this token in `X-CSRF-Token` with every state-changing call (e.g. a revocation).',
  })
  @ApiOkResponse({ type: CsrfTokenDto })
  csrf(@Req() req: Request): CsrfTokenDto {
    return { csrfToken: csrfToken(req) };
  }

  @Get('consents')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'My consents, newest first, with their status',
    description:
      'The logged-in citizen’s consents: service, datasets, purpose and legal basis, dates, status (`active`, `revoked`, `expired`).',
  })
  @ApiOkResponse({ type: CitizenConsentListDto })
  async consents(@CurrentCitizen() citizen: CitizenPrincipal): Promise<CitizenConsentListDto> {
    const items = await this.me.listConsents(citizen.citizenId);
    return { items: items.map(toConsentDto) };
  }

  @Delete('consents/:consentId')
  @HttpCode(204)
  @UseGuards(HeaderCsrfGuard)
  @ApiOperation({
    summary: 'Revoke one of my consents',
    description:
      'Effective at once; idempotent on an already revoked consent. Another citizen’s consent is 404.',
  })
  @ApiHeader({ name: CSRF_HEADER, required: true, description: 'From GET /api/v1/me/csrf' })
  @ApiParam({ name: 'consentId', description: 'Consent id (uuid)' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems(403, 404)
  async revoke(
    @Param('consentId', ConsentIdPipe) consentId: string,
    @CurrentCitizen() citizen: CitizenPrincipal,
    @Req() req: Request,
  ): Promise<void> {
    await this.me.revoke(consentId, citizen.citizenId, req.id);
  }

  @Get('accesses')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Who accessed my data',
    description: 'Every fetch of my data by a service, and my own previews; newest first.',
  })
  @ApiOkResponse({ type: AccessPageDto })
  @ApiProblems(400)
  async accesses(
    @CurrentCitizen() citizen: CitizenPrincipal,
    @Query() query: AccessQueryDto,
  ): Promise<AccessPageDto> {
    const page = await this.me.accesses(citizen.citizenId, query.before, query.limit);
    return { items: page.items.map(toAccessDto), nextCursor: page.nextCursor };
  }

  @Get('accesses/:eventId/proof')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Proof bundle of one access (download)',
    description:
      'The audit event, its RFC 9162 inclusion proof and a checkpoint signed by the gateway (ES256, /.well-known/jwks.json): verifiable offline with scripts/verify-proof.ts. Another citizen’s access is 404.',
  })
  @ApiParam({ name: 'eventId', description: 'Audit event id of the access (uuid), as listed' })
  @ApiOkResponse({ type: ProofBundleDto })
  @ApiProblems(404, 503)
  async accessProof(
    @CurrentCitizen() citizen: CitizenPrincipal,
    @Param('eventId', AccessIdPipe) eventId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProofBundleDto> {
    const bundle = await this.me.accessProof(citizen.citizenId, eventId, req.id);
    res.setHeader('Content-Disposition', `attachment; filename="preuve-acces-${eventId}.json"`);
    return bundle;
  }
}

function toAccessDto(a: AccessEntry): AccessDto {
  return { ...a, occurredAt: a.occurredAt.toISOString(), proofUrl: accessProofPath(a.id) };
}

function toConsentDto(c: CitizenConsentView): CitizenConsentDto {
  return {
    id: c.id,
    client: { name: c.client.name, siret: c.client.siret },
    datasets: c.datasets.map((d) => ({ id: d.id, title: d.title, providerName: d.providerName })),
    purpose: c.purpose,
    legalBasis: c.legalBasis,
    fetchMode: c.fetchMode,
    fetchCount: c.fetchCount,
    createdAt: c.createdAt.toISOString(),
    expiresAt: c.expiresAt.toISOString(),
    status: c.status,
    revokedAt: c.revokedAt ? c.revokedAt.toISOString() : null,
  };
}
