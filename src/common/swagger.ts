import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto, ProblemFieldError } from './problem.js';

/**
 * The document's tags, in the order a reader needs them: a requesting service's calls first
 * (token, consent requests, fetches), then the citizen's app, then the operator's.
 */
export const API_TAGS: Array<{ name: string; description: string }> = [
  {
    name: 'oauth',
    description:
      'Requesting services: OAuth 2.0 client credentials (RFC 6749), metadata (RFC 8414) and the gateway’s signing keys.',
  },
  {
    name: 'consents',
    description:
      'Requesting services: ask a citizen’s consent, follow the request, read the signed consent.',
  },
  {
    name: 'exchange',
    description:
      'Requesting services: fetch a dataset live from its provider within a consent; providers’ health.',
  },
  {
    name: 'api-franceconnectee',
    description:
      'Services already on FranceConnect: read a dataset with the citizen’s FranceConnect access token (API FranceConnectée).',
  },
  { name: 'clients', description: 'Requesting services: what the gateway knows of the caller.' },
  {
    name: 'citizen',
    description:
      'The citizen’s own consents and access log, for an app using the citizen’s session (FranceConnect).',
  },
  {
    name: 'transparency-log',
    description:
      'Anyone (citizens, auditors, providers, witnesses), without authentication: the audit log’s signed checkpoints and its RFC 9162 inclusion and consistency proofs.',
  },
  {
    name: 'admin',
    description:
      'Operators: providers, datasets, requesting services, habilitations, keys and the audit log.',
  },
  { name: 'operations', description: 'Probes for orchestrators and load balancers.' },
];

export function buildOpenApiDocument(app: INestApplication, publicUrl: string): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Passerelle')
    .setDescription(
      'Consent-based data exchange between French administrations. Requesting services ' +
        'authenticate with OAuth 2.0 client credentials, ask citizens for consent, then fetch ' +
        'justificatifs live from the administrations that hold them. Errors are RFC 9457 ' +
        'problem details (`application/problem+json`) with a stable `code`.',
    )
    .setVersion('1')
    .setLicense(
      'EUPL-1.2',
      'https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12',
    )
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
    );
  for (const tag of API_TAGS) builder.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    extraModels: [ProblemDto, ProblemFieldError],
  });
  return { ...document, paths: pathsInTagOrder(document.paths) };
}

/** The paths sorted by their first operation's tag, in API_TAGS order (stable within a tag). */
function pathsInTagOrder(paths: OpenAPIObject['paths']): OpenAPIObject['paths'] {
  const rank = (item: OpenAPIObject['paths'][string]): number => {
    const ops = Object.values(item) as Array<{ tags?: string[] } | undefined>;
    const tag = ops.find((op) => op && Array.isArray(op.tags))?.tags?.[0];
    const index = API_TAGS.findIndex((t) => t.name === tag);
    return index === -1 ? API_TAGS.length : index;
  };
  const entries = Object.entries(paths).map(([path, item], i) => ({ path, item, i }));
  entries.sort((a, b) => rank(a.item) - rank(b.item) || a.i - b.i);
  return Object.fromEntries(entries.map((e) => [e.path, e.item]));
}
