import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto, ProblemFieldError } from './problem.js';

export function buildOpenApiDocument(app: INestApplication, publicUrl: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Passerelle')
    .setDescription(
      'Consent-based data exchange between French administrations. Requesting services ' +
        'authenticate with OAuth 2.0 client credentials, ask citizens for consent, then fetch ' +
        'justificatifs live from the administrations that hold them. Errors are RFC 9457 ' +
        'problem details (`application/problem+json`) with a stable `code`.',
    )
    .setVersion('1')
    .addServer(publicUrl)
    .addOAuth2(
      {
        type: 'oauth2',
        description:
          'Requesting services: client credentials (client_secret_basic, client_secret_post, private_key_jwt)',
        flows: { clientCredentials: { tokenUrl: `${publicUrl}/oauth/token`, scopes: {} } },
      },
      'client',
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Operator token' }, 'operator')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description: 'The citizen’s FranceConnect access token (API FranceConnectée)',
      },
      'franceconnect',
    )
    .addCookieAuth(
      'passerelle.sid',
      { type: 'apiKey', in: 'cookie', description: 'Citizen session (FranceConnect)' },
      'citizen',
    )
    .build();
  return SwaggerModule.createDocument(app, config, {
    extraModels: [ProblemDto, ProblemFieldError],
  });
}
