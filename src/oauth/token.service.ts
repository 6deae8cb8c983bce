import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AuditOutcomes, AuditService } from '../audit/index.js';
import { RegistryService } from '../registry/index.js';
import { AccessTokenService } from './access-token.service.js';
import { ClientAuthenticationService } from './client-authentication.service.js';
import { GRANT_CLIENT_CREDENTIALS, TokenRequestDto, TokenResponseDto } from './dto/token.dto.js';
import { OAuthErrorCode, oauthError } from './errors.js';

export interface TokenRequestContext {
  /** The parsed body; undefined or not an object when the request was not a form. */
  body: unknown;
  isForm: boolean;
  authorization?: string;
  requestId?: string;
}

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The client credentials grant (RFC 6749 §4.4). */
@Injectable()
export class TokenService {
  constructor(
    private readonly authentication: ClientAuthenticationService,
    private readonly accessTokens: AccessTokenService,
    private readonly registry: RegistryService,
    private readonly audit: AuditService,
  ) {}

  async exchange(ctx: TokenRequestContext): Promise<TokenResponseDto> {
    const form = await this.parse(ctx);
    if (form.grant_type !== GRANT_CLIENT_CREDENTIALS) {
      throw oauthError(
        400,
        OAuthErrorCode.unsupportedGrantType,
        'Only grant_type=client_credentials is supported.',
      );
    }
    const client = await this.authentication.authenticate(form, ctx.authorization);
    // Dataset ids of the client's habilitations active now (registry's habilitation rule).
    const allowed = await this.registry.grantableDatasets(client.id);
    let scopes = allowed;
    if (form.scope !== undefined) {
      const requested = [...new Set(form.scope.split(' ').filter(Boolean))];
      const bad = requested.find((s) => !SCOPE_TOKEN.test(s) || !allowed.includes(s));
      if (bad !== undefined) {
        throw oauthError(
          400,
          OAuthErrorCode.invalidScope,
          `Scope "${bad.slice(0, 100)}" is not covered by an active habilitation of this client.`,
        );
      }
      scopes = requested;
    }
    const token = await this.accessTokens.issue(client.clientId, scopes);
    this.audit.recordQuietly({
      kind: 'oauth.token_issued',
      actor: `client:${client.clientId}`,
      clientId: client.clientId,
      outcome: AuditOutcomes.success,
      requestId: ctx.requestId,
      details: { authMethod: client.authMethod, scope: token.scope },
    });
    const response: TokenResponseDto = {
      access_token: token.accessToken,
      token_type: 'Bearer',
      expires_in: token.expiresIn,
    };
    if (token.scope) response.scope = token.scope;
    return response;
  }

  /**
   * The form, checked against TokenRequestDto. RFC 6749 §3.2: parameters without a value count
   * as omitted, a parameter may not be repeated (the parser then gives an array, refused by
   * IsString), unknown parameters are ignored.
   */
  private async parse(ctx: TokenRequestContext): Promise<TokenRequestDto> {
    if (!ctx.isForm || typeof ctx.body !== 'object' || ctx.body === null) {
      throw oauthError(
        400,
        OAuthErrorCode.invalidRequest,
        'The body must be application/x-www-form-urlencoded.',
      );
    }
    const plain = Object.fromEntries(Object.entries(ctx.body).filter(([, value]) => value !== ''));
    const form = plainToInstance(TokenRequestDto, plain);
    // whitelist strips (ignores) what TokenRequestDto does not declare.
    const errors = await validate(form, { whitelist: true, forbidUnknownValues: false });
    if (errors.length > 0) {
      const first = errors[0];
      const message = Object.values(first.constraints ?? {})[0] ?? `${first.property} is invalid`;
      throw oauthError(400, OAuthErrorCode.invalidRequest, `${first.property}: ${message}.`);
    }
    return form;
  }
}
