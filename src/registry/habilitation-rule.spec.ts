import { isHabilitationActive, type HabilitationValidity } from './habilitation-rule.js';

describe('the habilitation rule (predicate)', () => {
  const at = new Date('2026-06-01T12:00:00Z');
  const base: HabilitationValidity = {
    status: 'active',
    validFrom: new Date('2026-01-01T00:00:00Z'),
    validTo: new Date('2027-01-01T00:00:00Z'),
    datasets: ['cnaf.quotient_familial', 'dgfip.avis_imposition'],
  };

  it('holds for an active habilitation within its validity, for the datasets it covers', () => {
    expect(isHabilitationActive(base, at)).toBe(true);
    expect(isHabilitationActive(base, at, ['cnaf.quotient_familial'])).toBe(true);
    expect(isHabilitationActive(base, at, [...base.datasets])).toBe(true);
    expect(isHabilitationActive({ ...base, validTo: null }, at)).toBe(true);
  });

  it('fails when revoked or suspended, before its start, from its end on, or for another dataset', () => {
    expect(isHabilitationActive({ ...base, status: 'revoked' }, at)).toBe(false);
    expect(isHabilitationActive({ ...base, status: 'suspended' }, at)).toBe(false);
    expect(isHabilitationActive({ ...base, validFrom: new Date(at.getTime() + 1) }, at)).toBe(
      false,
    );
    // valid_to is exclusive: at that instant the habilitation has ended.
    expect(isHabilitationActive({ ...base, validTo: at }, at)).toBe(false);
    expect(isHabilitationActive(base, at, ['mesr.statut_etudiant'])).toBe(false);
    expect(isHabilitationActive(base, at, ['cnaf.quotient_familial', 'mesr.statut_etudiant'])).toBe(
      false,
    );
  });

  it('reads instants given as epoch milliseconds the same way (rows of the fetch context)', () => {
    const asMs = { ...base, validFrom: at.getTime(), validTo: at.getTime() + 1 };
    expect(isHabilitationActive(asMs, at)).toBe(true);
    expect(isHabilitationActive({ ...asMs, validFrom: at.getTime() + 1 }, at)).toBe(false);
    expect(isHabilitationActive({ ...asMs, validTo: at.getTime() }, at)).toBe(false);
  });
});
