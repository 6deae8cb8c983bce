/**
 * Stable error codes of the operator API (`/api/v1/admin/*`). Clients of this API branch on
 * `code`; titles and details are for humans and may change.
 */
import { ApiError } from '../common/index.js';

export const RegistryErrors = {
  /** 400 naming one field, same shape as the validation pipe's answers. */
  invalidField: (field: string, message: string) =>
    new ApiError(400, 'validation_failed', 'Invalid request', 'Some fields are invalid.', {
      errors: [{ field, messages: [message] }],
    }),
  invalidCursor: () =>
    new ApiError(400, 'invalid_cursor', 'Invalid cursor', 'The cursor is not one this API gave.', {
      errors: [{ field: 'cursor', messages: ['cursor is not valid'] }],
    }),
  notFound: (resource: RegistryResource, id?: string) =>
    new ApiError(
      404,
      `${resource}_not_found`,
      'Not found',
      id === undefined ? `No such ${resource}.` : `No ${resource} with id "${id}".`,
    ),
  exists: (resource: RegistryResource, id: string) =>
    new ApiError(
      409,
      `${resource}_exists`,
      'Already exists',
      `A ${resource} with id "${id}" exists.`,
    ),
  inUse: (resource: 'provider' | 'dataset', id: string, by: string) =>
    new ApiError(
      409,
      `${resource}_in_use`,
      'Still referenced',
      `The ${resource} "${id}" is referenced by ${by}; disable it instead.`,
    ),
  habilitationRevoked: (id: string) =>
    new ApiError(
      409,
      'habilitation_revoked',
      'Habilitation revoked',
      `The habilitation "${id}" is revoked; revocation is final. Create a new one.`,
    ),
  noSecretForMethod: (clientId: string) =>
    new ApiError(
      409,
      'client_secret_not_applicable',
      'No secret for this authentication method',
      `The client "${clientId}" authenticates with private_key_jwt: it has no secret to rotate.`,
    ),
  authMethodMismatch: (field: string, method: string) =>
    new ApiError(400, 'validation_failed', 'Invalid request', 'Some fields are invalid.', {
      errors: [{ field, messages: [`${field} is not allowed with authMethod ${method}`] }],
    }),
} as const;

export type RegistryResource = 'provider' | 'dataset' | 'client' | 'habilitation';

/** Every code this module can answer, for documentation and tests. */
export const REGISTRY_ERROR_CODES = [
  'operator_token_required',
  'validation_failed',
  'invalid_cursor',
  'provider_not_found',
  'dataset_not_found',
  'client_not_found',
  'habilitation_not_found',
  'provider_exists',
  'dataset_exists',
  'client_exists',
  'provider_in_use',
  'dataset_in_use',
  'habilitation_revoked',
  'client_secret_not_applicable',
] as const;
