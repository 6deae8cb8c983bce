/**
 * Stable error codes of the operator API's door (the OperatorGuard, shared by every
 * `/api/v1/admin/*` controller). Clients of this API branch on `code`.
 */
import { ApiError } from '../common/index.js';

export const AuditErrors = {
  /** 401: no operator token, a wrong one, or anything else (a client access token included). */
  operatorTokenRequired: () =>
    new ApiError(
      401,
      'operator_token_required',
      'Operator token required',
      'This endpoint needs the operator bearer token.',
      {},
      { 'WWW-Authenticate': 'Bearer realm="passerelle-admin"' },
    ),
};
