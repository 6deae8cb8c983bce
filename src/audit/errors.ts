/**
 * Stable error codes of the audit module's endpoints: the operator API's door (the
 * OperatorGuard, shared by every `/api/v1/admin/*` controller) and the transparency log's public
 * endpoints. Clients branch on `code`.
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

export const TransparencyErrors = {
  noCheckpoint: () =>
    new ApiError(
      404,
      'no_checkpoint',
      'No checkpoint yet',
      'The audit log has no signed checkpoint yet.',
    ),
  eventNotInTree: () =>
    new ApiError(
      404,
      'event_not_in_tree',
      'Event not in the tree',
      'No such audit event in the tree of that size (it may be appended within seconds).',
    ),
  treeSizeUnknown: () =>
    new ApiError(
      400,
      'tree_size_unknown',
      'Unknown tree size',
      'The requested tree size is larger than the tree.',
    ),
  sizesOutOfOrder: () =>
    new ApiError(
      400,
      'tree_sizes_out_of_order',
      'Tree sizes out of order',
      '`from` must not exceed `to`.',
    ),
};
