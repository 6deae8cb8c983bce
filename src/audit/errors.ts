/** Stable error codes of the audit transparency log's public endpoints. */
import { ApiError } from '../common/problem.js';

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
