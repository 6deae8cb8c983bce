/**
 * From the registry's read side (RegistryService) to the exchange core's plain inputs. The
 * consent-checked fetch calls `registry.getActiveDataset(id)` and
 * `registry.getProviderWithSecret(dataset.providerId)`, maps them here, then
 * `ProviderClient.fetchDataset`.
 */
import type { ActiveDataset, ProviderWithSecret } from '../registry/index.js';
import type { DatasetTarget, ProviderTarget } from './exchange.types.js';

export function providerTarget(p: ProviderWithSecret): ProviderTarget {
  const common = {
    id: p.id,
    baseUrl: p.baseUrl,
    timeoutMs: p.timeoutMs,
    maxConcurrency: p.maxConcurrency,
    // RegistryService only hands out active providers with their secret.
    status: 'active' as const,
  };
  const auth = p.auth;
  switch (auth.kind) {
    case 'none':
      return { ...common, authKind: 'none', authConfig: {}, secret: null };
    case 'api_key':
      return {
        ...common,
        authKind: 'api_key',
        authConfig: { headerName: auth.headerName },
        secret: auth.secret,
      };
    case 'bearer':
      return { ...common, authKind: 'bearer', authConfig: {}, secret: auth.token };
    case 'oauth2_client_credentials':
      return {
        ...common,
        authKind: 'oauth2_client_credentials',
        authConfig: {
          tokenUrl: auth.tokenUrl,
          clientId: auth.clientId,
          ...(auth.scope ? { scope: auth.scope } : {}),
        },
        secret: auth.clientSecret,
      };
  }
}

export function datasetTarget(d: ActiveDataset): DatasetTarget {
  return {
    id: d.id,
    providerId: d.providerId,
    path: d.path,
    identityParams: d.identityParams,
    responseSchema: d.responseSchema,
    // The registry bumps updatedAt on every edit: a cheap key for the compiled schema.
    schemaVersion: d.updatedAt.toISOString(),
    fields: d.fields,
  };
}
