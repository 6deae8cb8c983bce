import { Body, Controller, Get, Header, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { OAuthService } from './oauth.service.js';
import { AuthorizationServerMetadataDto, JwksDto } from './dto/metadata.dto.js';
import { OAuthErrorDto, TokenRequestDto, TokenResponseDto } from './dto/token.dto.js';
import { OAuthErrorFilter } from './oauth-error.filter.js';
import { TokenService } from './token.service.js';

@ApiTags('oauth')
@Controller()
export class OAuthController {
  constructor(
    private readonly oauth: OAuthService,
    private readonly tokens: TokenService,
  ) {}

  @Get('.well-known/oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Authorization server metadata (RFC 8414)',
    description:
      'Issuer, token endpoint, supported client authentication methods and signing algorithms, JWKS URI. Clients may configure themselves from it.',
  })
  @ApiOkResponse({ type: AuthorizationServerMetadataDto })
  metadata(): Promise<AuthorizationServerMetadataDto> {
    return this.oauth.metadata();
  }

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Public signing keys (RFC 7517)',
    description:
      'Verifies access tokens, consent receipts and every signature the gateway makes. During a ' +
      'key rotation both the new key and the previous one are listed.',
  })
  @ApiOkResponse({ type: JwksDto })
  jwks(): Promise<JwksDto> {
    return this.oauth.jwks();
  }

  @Post('oauth/token')
  @HttpCode(200)
  @UseFilters(OAuthErrorFilter)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    summary: 'Access token, client credentials grant (RFC 6749 §4.4)',
    description:
      'Client authentication: `client_secret_basic` (HTTP Basic, id and secret form-urlencoded ' +
      'first, RFC 6749 §2.3.1), `client_secret_post`, or `private_key_jwt` (RFC 7523); only the ' +
      'method registered for the client is accepted. The token is an ES256 JWT (RFC 9068, ' +
      '`typ: at+jwt`) to send as `Authorization: Bearer`. **Errors follow RFC 6749 §5.2** ' +
      '(`application/json` `{error, error_description}`), not problem+json, so that standard ' +
      'OAuth libraries understand them; `invalid_client` is a 401 with `WWW-Authenticate`.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({
    type: TokenResponseDto,
    description: 'RFC 6749 §5.1, `Cache-Control: no-store`',
  })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description: 'RFC 6749 §5.2: invalid_request, unsupported_grant_type, invalid_scope',
  })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'RFC 6749 §5.2: invalid_client' })
  token(@Req() req: Request, @Body() body: Record<string, unknown>): Promise<TokenResponseDto> {
    return this.tokens.exchange({
      body,
      isForm: req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded',
      authorization: req.headers.authorization,
      requestId: req.id,
    });
  }
}
