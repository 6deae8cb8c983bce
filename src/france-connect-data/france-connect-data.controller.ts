import { Controller, Get, Header, Headers, Param, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems } from '../common/index.js';
import { ChecktokenClient } from './checktoken.client.js';
import { FranceConnectDataResponseDto } from './dto/france-connect-data.dto.js';
import { FranceConnectDataService } from './france-connect-data.service.js';

@ApiTags('api-franceconnectee')
@Controller('api/v1/france-connect')
export class FranceConnectDataController {
  constructor(
    private readonly service: FranceConnectDataService,
    private readonly checktoken: ChecktokenClient,
  ) {}

  @Get('data/:datasetId')
  @ApiBearerAuth('franceconnect')
  // The citizen's data: never kept by a browser or a shared cache on the way.
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'API FranceConnectée: read a dataset with the citizen’s FranceConnect access token',
    description:
      'For services that log citizens in with FranceConnect and asked there for data scopes (e.g. ' +
      '`cnaf_quotient_familial`). Send the citizen’s FranceConnect access token as `Authorization: Bearer …`. ' +
      'Passerelle checks it at FranceConnect’s `POST /api/v2/checktoken` (signed RFC 9701 answer, verified; ' +
      'kept only for the token’s remaining life), finds the service registered under that FranceConnect ' +
      '`client_id`, requires the dataset’s FranceConnect scope among the token’s scopes and an active ' +
      'habilitation of the service covering the dataset, reads the identity pivot at FranceConnect’s userinfo ' +
      'with the same token, then calls the provider as for a consented fetch (signed assertion, JSON Schema ' +
      'check, reduction to the declared fields) and records the access in the audit log before answering. The ' +
      'citizen sees it at /me, "via FranceConnect". Codes — 401: `invalid_token` (missing, inactive, expired, ' +
      'unknown to this FranceConnect, or an introspection that does not verify); 403: `insufficient_scope`, ' +
      '`client_not_registered`, `client_suspended`, `habilitation_inactive`; 404: `dataset_not_found`, ' +
      '`citizen_unknown_to_provider`; 502: `france_connect_invalid_response` and the provider codes of the ' +
      'consented fetch; 503: `france_connect_unavailable` (with `Retry-After`), `dataset_unavailable`, ' +
      '`audit_unavailable`, provider codes; 504: `provider_timeout`.',
  })
  @ApiParam({
    name: 'datasetId',
    example: 'cnaf.quotient_familial',
    description: 'The dataset to read; its FranceConnect scope must be among the token’s scopes',
  })
  @ApiOkResponse({ type: FranceConnectDataResponseDto })
  @ApiProblems(401, 403, 404, 502, 503, 504)
  fetch(
    @Headers('authorization') authorization: string | undefined,
    @Param('datasetId') datasetId: string,
    @Req() req: Request,
  ): Promise<FranceConnectDataResponseDto> {
    return this.service.fetch(authorization, datasetId, req.id);
  }

  /** Where FranceConnect finds the key to encrypt checktoken answers to (RFC 9701 §5). */
  @Get('jwks')
  @ApiOperation({
    summary: 'Passerelle’s encryption keys as a FranceConnect data provider (JWK Set, `use: enc`)',
    description:
      'The public keys FranceConnect encrypts its checktoken answers to (RFC 9701 §5, JWE ECDH-ES). ' +
      'Register this URL with FranceConnect as the data provider’s encryption keys.',
  })
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): { keys: Record<string, unknown>[] } {
    return this.checktoken.encryptionJwks();
  }
}
