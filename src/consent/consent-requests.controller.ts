import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOAuth2,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiProblems } from '../common/index.js';
import { type AuthenticatedClient, ClientAuthGuard, CurrentClient } from '../oauth/index.js';
import { ConsentRequestsService } from './consent-requests.service.js';
import {
  ConsentRequestCreatedDto,
  ConsentRequestStatusDto,
  CreateConsentRequestDto,
} from './dto/consent-request.dto.js';
import { ConsentDto } from './dto/consent.dto.js';

@ApiTags('consents')
@ApiOAuth2([], 'client')
@UseGuards(ClientAuthGuard)
@Controller('api/v1')
export class ConsentRequestsController {
  constructor(private readonly requests: ConsentRequestsService) {}

  @Post('consent-requests')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Ask a citizen’s consent',
    description:
      'Checks that ONE active habilitation of the client covers every dataset, the duration and the fetch mode, ' +
      'and that redirectUri is registered. Send the citizen’s browser to `consentUrl`. With an `Idempotency-Key`, ' +
      'the same key and body answer the same request again (201, same id, header `Idempotent-Replayed: true`); ' +
      'the same key with another body is refused (422).',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1 to 255 printable ASCII characters, unique per intended request',
  })
  @ApiCreatedResponse({ type: ConsentRequestCreatedDto })
  @ApiProblems(400, 401, 403, 422)
  async create(
    @CurrentClient() client: AuthenticatedClient,
    @Body() body: CreateConsentRequestDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConsentRequestCreatedDto> {
    const created = await this.requests.create(client, body, idempotencyKey, req.id);
    res.setHeader('Location', `/api/v1/consent-requests/${created.body.id}`);
    if (created.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return created.body;
  }

  @Get('consent-requests/:id')
  @ApiParam({ name: 'id', description: 'Consent request id, from the creation’s answer (uuid)' })
  @ApiOperation({
    summary: 'Follow a consent request',
    description:
      'Status judged now (a pending request past `expiresAt` is `expired`); `consentId` once approved.',
  })
  @ApiOkResponse({ type: ConsentRequestStatusDto })
  @ApiProblems(401, 404)
  getRequest(
    @CurrentClient() client: AuthenticatedClient,
    @Param('id') id: string,
    @Req() req: Request,
  ): Promise<ConsentRequestStatusDto> {
    return this.requests.getRequest(client, id, req.id);
  }

  @Get('consents/:id')
  @ApiParam({ name: 'id', description: 'Consent id, from the request’s `consentId` (uuid)' })
  @ApiOperation({
    summary: 'Read a consent artefact and its signed receipt',
    description:
      'The consent as agreed, its status judged now, and `receipt`: a compact JWS (ES256) verifiable with ' +
      '`/.well-known/jwks.json`. Only the client the consent was given to can read it.',
  })
  @ApiOkResponse({ type: ConsentDto })
  @ApiProblems(401, 404)
  getConsent(
    @CurrentClient() client: AuthenticatedClient,
    @Param('id') id: string,
    @Req() req: Request,
  ): Promise<ConsentDto> {
    return this.requests.getConsent(client, id, req.id);
  }
}
