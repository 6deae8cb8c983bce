import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SigningKeyService } from '../signing/index.js';

/** `typ` of the assertion: never taken for an access token or a consent receipt. */
export const PROVIDER_ASSERTION_TYP = 'passerelle-assertion+jwt';
/** Long enough for retries within any provider's budget, short enough to be useless later. */
export const PROVIDER_ASSERTION_TTL_SECONDS = 60;

export interface ProviderAssertionClaims {
  /** The provider the call goes to: the assertion's audience. */
  providerId: string;
  consentId: string;
  datasetId: string;
  purpose: string;
  /** The requesting service's public OAuth client_id. */
  clientId: string;
  /** The requesting service's SIRET (API Particulier's `recipient`). */
  recipient: string;
}

/**
 * The signed statement sent with each provider call (`X-Passerelle-Assertion`): "this call is
 * made for this consent, this dataset, this purpose, on behalf of this service". Signed with
 * the gateway's ES256 key (kid in the header), verifiable against /.well-known/jwks.json, so a
 * provider can prove each call it answered was consented.
 */
@Injectable()
export class ProviderAssertions {
  constructor(private readonly keys: SigningKeyService) {}

  sign(claims: ProviderAssertionClaims): Promise<string> {
    return this.keys.sign(
      {
        consent_id: claims.consentId,
        dataset: claims.datasetId,
        purpose: claims.purpose,
        client_id: claims.clientId,
        recipient: claims.recipient,
        jti: randomUUID(),
      },
      {
        audience: claims.providerId,
        expiresInSeconds: PROVIDER_ASSERTION_TTL_SECONDS,
        typ: PROVIDER_ASSERTION_TYP,
      },
    );
  }
}
