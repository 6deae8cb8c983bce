import { AuditOutcomes, errorOutcome, readOutcome } from './audit-outcome.js';

describe('audit outcomes', () => {
  it('keeps the values rows have always stored (the operator audit API returns them)', () => {
    expect(AuditOutcomes).toEqual({
      success: 'success',
      served: 'ok',
      started: 'started',
      refused: 'refused',
      rateLimited: 'rate_limited',
      error: 'error',
      failure: 'failure',
      interrupted: 'interrupted',
    });
  });

  it('reads every stored value one way, and anything else as a stable error code', () => {
    expect(readOutcome('success')).toBe('done');
    expect(readOutcome('ok')).toBe('done');
    expect(readOutcome('started')).toBe('started');
    expect(readOutcome('refused')).toBe('refused');
    expect(readOutcome('rate_limited')).toBe('refused');
    expect(readOutcome('error')).toBe('failed');
    expect(readOutcome('failure')).toBe('failed');
    expect(readOutcome('interrupted')).toBe('failed');
    expect(readOutcome(errorOutcome('consent_revoked'))).toBe('code');
    // No synonyms: a word never written is not taken for a success.
    expect(readOutcome('succeeded')).toBe('code');
    expect(readOutcome('served')).toBe('code');
  });
});
