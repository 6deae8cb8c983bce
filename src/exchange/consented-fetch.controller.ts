import { Controller, Get, Header, Param, Req, UseGuards } from '@nestjs/common';
import { ApiOAuth2, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems } from '../common/index.js';
import { type AuthenticatedClient, ClientAuthGuard, CurrentClient } from '../oauth/index.js';
import { ConsentedFetchService } from './consented-fetch.service.js';
import { ConsentedFetchResponseDto } from './dto/consented-fetch.dto.js';

@ApiTags('exchange')
@Controller('api/v1/consents')
export class ConsentedFetchController {
  constructor(private readonly fetches: ConsentedFetchService) {}

  @Get(':id/data/:datasetId')
  @UseGuards(ClientAuthGuard)
  @ApiOAuth2([], 'client')
  // The citizen's data: never kept by a browser or a shared cache on the way.
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Fetch a consented dataset, live, from the administration that holds it',
    description:
      'Checks, in this request: the token (its scope covers the dataset), the consent (this client’s, active, not ' +
      'expired, covering the dataset, fetch budget left: once per dataset for `once` consents, at most every ' +
      '`minFetchIntervalSeconds` of the habilitation for `periodic` ones), the habilitation (active, valid, still ' +
      'granting the dataset) and the dataset and its provider (enabled). Then calls the provider with the citizen’s ' +
      'identity pivot and a signed assertion, validates its answer against the dataset’s JSON Schema, reduces it to ' +
      'the declared fields and records the access in the audit log (a keyed HMAC-SHA-256 digest of the data, never ' +
      'the data; `provenance.auditEventId` names that event for its transparency-log proof). ' +
      'The data is returned only once that record is written: otherwise 503 `audit_unavailable` and nothing. ' +
      'Refusals (403/404) are audited too. Another client’s consent is answered like an unknown one (404 ' +
      '`consent_not_found`). A failed provider call does not spend a `once` consent. ' +
      'Codes — 403: `insufficient_scope`, `consent_revoked`, `consent_expired`, `dataset_not_in_consent`, ' +
      '`habilitation_inactive`, `fetch_budget_exhausted` (a `once` consent already served this dataset), ' +
      '`fetch_too_soon` (periodic: interval not elapsed, `Retry-After`); 404: `consent_not_found`, ' +
      '`dataset_not_found`, `citizen_unknown_to_provider` (with the provider’s message); 502: `provider_error`, ' +
      '`provider_malformed_response`, `provider_schema_mismatch`, `provider_auth_failed`, ' +
      '`provider_rejected_request`; 503: `dataset_unavailable`, `audit_unavailable`, `provider_circuit_open`, ' +
      '`provider_busy`, `provider_disabled`, `provider_rate_limited`; 504: `provider_timeout`.',
  })
  @ApiParam({ name: 'id', description: 'Consent id (uuid)', format: 'uuid' })
  @ApiParam({
    name: 'datasetId',
    description: 'Dataset id, e.g. `cnaf.quotient_familial`',
    example: 'cnaf.quotient_familial',
  })
  @ApiOkResponse({ type: ConsentedFetchResponseDto })
  @ApiProblems(401, 403, 404, 502, 503, 504)
  fetch(
    @CurrentClient() client: AuthenticatedClient,
    @Param('id') consentId: string,
    @Param('datasetId') datasetId: string,
    @Req() req: Request,
  ): Promise<ConsentedFetchResponseDto> {
    return this.fetches.fetch(client, consentId, datasetId, req.id, req.correlationId);
  }
}
