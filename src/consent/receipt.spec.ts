import { randomBytes, randomUUID } from 'node:crypto';
import { canonicalJson } from '../audit/index.js';
import { canonicalReceiptClaims, citizenPseudonym } from './receipt.js';

describe('receipt', () => {
  it('the citizen pseudonym is stable per client and differs between clients', () => {
    const master = randomBytes(32);
    const citizen = randomUUID();
    const [c1, c2] = [randomUUID(), randomUUID()];
    expect(citizenPseudonym(master, c1, citizen)).toBe(citizenPseudonym(master, c1, citizen));
    expect(citizenPseudonym(master, c1, citizen)).not.toBe(citizenPseudonym(master, c2, citizen));
    expect(citizenPseudonym(master, c1, citizen)).not.toContain(citizen);
    expect(citizenPseudonym(randomBytes(32), c1, citizen)).not.toBe(
      citizenPseudonym(master, c1, citizen),
    );
  });

  it('claims serialize as canonical JSON', () => {
    const claims = canonicalReceiptClaims({
      iss: 'http://localhost:3000',
      iat: 1,
      fetch_mode: 'once',
      consent_id: 'c',
      consent_request_id: 'r',
      client_id: 'x',
      client_siret: '21690123100011',
      citizen: 'p',
      datasets: ['b.x', 'a.y'],
      purpose: 'p',
      habilitation_purpose: 'h',
      legal_basis: 'l',
      valid_from: '2026-01-01T00:00:00.000Z',
      expires_at: '2026-02-01T00:00:00.000Z',
    });
    expect(JSON.stringify(claims)).toBe(canonicalJson(claims));
    expect(claims.datasets).toEqual(['b.x', 'a.y']); // arrays keep their order
  });
});
