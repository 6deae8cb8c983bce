/**
 * What an audit event's `outcome` column holds: a closed vocabulary (issue 13), instead of free
 * strings at each writer. The values are the ones rows have always stored, and what the operator
 * audit API returns and filters on, so rows written before and after read alike:
 *
 * - `success`: an action done (consent given or revoked, login, token issued, operator call);
 * - `ok`: data served (a fetch, a preview, a FranceConnect data read);
 * - `started`: a provider call about to be made (its intent; its outcome follows);
 * - `refused`, `rate_limited`: the request was refused (no more said);
 * - `error`, `failure`: it failed on our side or downstream (an operator call, a delivery);
 * - `interrupted`: a provider call whose process died before its outcome was written;
 * - or the stable error code (`consent_revoked`, `provider_timeout`…) that ended an access to a
 *   citizen's data, recorded through `errorOutcome(code)`.
 */
export const AuditOutcomes = {
  success: 'success',
  served: 'ok',
  started: 'started',
  refused: 'refused',
  rateLimited: 'rate_limited',
  error: 'error',
  failure: 'failure',
  interrupted: 'interrupted',
} as const;

export type AuditResult = (typeof AuditOutcomes)[keyof typeof AuditOutcomes];

declare const stableErrorCode: unique symbol;
/** A stable error code recorded as an outcome; made by `errorOutcome` only. */
export type ErrorCodeOutcome = string & { readonly [stableErrorCode]: true };

export type AuditOutcome = AuditResult | ErrorCodeOutcome;

/** The outcome of an access ended by this stable error code (`consent_revoked`…). */
export function errorOutcome(code: string): ErrorCodeOutcome {
  return code as ErrorCodeOutcome;
}

const RESULTS: ReadonlySet<string> = new Set(Object.values(AuditOutcomes));

/**
 * How a stored outcome reads (the citizen's access log, the bench): `done` for success and data
 * served, `refused`, `failed`, or `code` for a stable error code (the caller tells refusals from
 * failures by the code's meaning). Written once; readers never compare strings themselves.
 */
export function readOutcome(outcome: string): 'done' | 'started' | 'refused' | 'failed' | 'code' {
  switch (outcome) {
    case AuditOutcomes.success:
    case AuditOutcomes.served:
      return 'done';
    case AuditOutcomes.started:
      return 'started';
    case AuditOutcomes.refused:
    case AuditOutcomes.rateLimited:
      return 'refused';
    case AuditOutcomes.error:
    case AuditOutcomes.failure:
    case AuditOutcomes.interrupted:
      return 'failed';
    default:
      return RESULTS.has(outcome) ? 'failed' : 'code';
  }
}
