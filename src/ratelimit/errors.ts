/** Stable error codes of the rate limits. */
import { ApiError } from '../common/index.js';

export const RateLimitErrors = {
  rateLimited: (retryAfterSeconds: number) =>
    new ApiError(
      429,
      'rate_limited',
      'Too many requests',
      `The request rate limit is reached; retry in ${retryAfterSeconds} s.`,
    ),
};
