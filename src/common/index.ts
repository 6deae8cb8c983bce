/** Shared pieces with no domain: problem+json errors, input and outbound guards, crypto, request ids, logging, OpenAPI. */
export { ApiProblems } from './api-problems.decorator.js';
export {
  decrypt,
  decryptString,
  encrypt,
  hashSecret,
  randomToken,
  safeEqual,
  verifySecret,
} from './crypto.js';
export { isDatabaseUnavailable } from './database-unavailable.js';
export { type DirectAgents, directAgents, directAxiosConfig } from './direct-http.js';
export {
  characterProblem,
  refuseDeepJson,
  refuseForbiddenCharacters,
  withoutInvisibleCharacters,
} from './input-guard.js';
export {
  type AllowList,
  assertOutboundTarget,
  isOutboundRefusal,
  outboundRequestOptions,
  parseAllowList,
} from './outbound-guard.js';
export {
  PROBLEM_HTML_PAGE,
  type Problem,
  ProblemFilter,
  QUIET_ANSWER,
  toProblem,
} from './problem.filter.js';
export { ApiError, PROBLEM_CONTENT_TYPE, VALIDATION_OPTIONS } from './problem.js';
export { requestIdMiddleware } from './request-id.js';
export { buildOpenApiDocument } from './swagger.js';
export { Html, html, joinHtml } from './html.js';
