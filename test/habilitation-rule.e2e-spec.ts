/**
 * The habilitation rule has three forms in src/registry/habilitation-rule.ts: the predicate
 * (rows already read), the Prisma filter (the registry's repository) and the SQL fragment (the
 * fetch's one statement). Here each case is a real habilitation row in PostgreSQL, judged by all
 * three at the same instant; they must agree with each other and with the expected answer.
 */
import {
  activeHabilitationWhere,
  isHabilitationActive,
} from '../src/registry/habilitation-rule.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { activeHabilitationSql } from '../src/registry/habilitations.repository.js';
import { consentClient, seedConsentCatalog } from './support/consent.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const CNAF = 'cnaf.quotient_familial';
const DGFIP = 'dgfip.avis_imposition';
const TRAVAIL = 'france_travail.statut';
const AT = new Date('2026-06-01T12:00:00.000Z');
const DAY = 86_400_000;
const before = (ms: number) => new Date(AT.getTime() - ms);
const after = (ms: number) => new Date(AT.getTime() + ms);

interface Case {
  name: string;
  status: 'active' | 'revoked';
  validFrom: Date;
  validTo: Date | null;
  datasets: string[];
  asked: string[];
  expected: boolean;
}

const base = {
  status: 'active' as const,
  validFrom: before(DAY),
  validTo: after(DAY),
  datasets: [CNAF, DGFIP],
};

const CASES: Case[] = [
  { name: 'active, within validity, one covered dataset', ...base, asked: [CNAF], expected: true },
  { name: 'active, every dataset covered', ...base, asked: [CNAF, DGFIP], expected: true },
  { name: 'validity only (no dataset asked)', ...base, asked: [], expected: true },
  { name: 'no end date', ...base, validTo: null, asked: [CNAF], expected: true },
  { name: 'starting exactly now', ...base, validFrom: AT, asked: [CNAF], expected: true },
  { name: 'revoked', ...base, status: 'revoked', asked: [CNAF], expected: false },
  { name: 'revoked, validity only', ...base, status: 'revoked', asked: [], expected: false },
  { name: 'not started yet', ...base, validFrom: after(1), asked: [CNAF], expected: false },
  { name: 'ending exactly now', ...base, validTo: AT, asked: [CNAF], expected: false },
  { name: 'ended', ...base, validTo: before(1), asked: [], expected: false },
  { name: 'dataset not granted', ...base, asked: [TRAVAIL], expected: false },
  { name: 'one of two datasets not granted', ...base, asked: [CNAF, TRAVAIL], expected: false },
];

describe('the habilitation rule: predicate, Prisma filter and SQL fragment agree', () => {
  let gw: TestGateway;
  let clientUuid: string;

  beforeAll(async () => {
    gw = await startGateway();
    await seedConsentCatalog(gw);
    clientUuid = (await consentClient(gw)).client.id;
  });
  afterAll(() => gw?.close());

  it.each(CASES)('$name → $expected', async (c) => {
    const row = await gw.prisma.habilitation.create({
      data: {
        clientId: clientUuid,
        datasets: c.datasets,
        purpose: `rule case: ${c.name}`,
        legalBasis: 'test',
        maxDurationDays: 30,
        status: c.status,
        validFrom: c.validFrom,
        validTo: c.validTo,
      },
    });
    const predicate = isHabilitationActive(row, AT, c.asked);
    const filtered = await gw.prisma.habilitation.count({
      where: { AND: [{ id: row.id }, activeHabilitationWhere(clientUuid, AT, c.asked)] },
    });
    const [{ ok }] = await gw.prisma.$queryRaw<{ ok: boolean }[]>`
      SELECT ${activeHabilitationSql('h', AT, c.asked)} AS ok
      FROM habilitation h WHERE h.id = ${row.id}::uuid`;
    expect({ predicate, filter: filtered === 1, sql: ok }).toEqual({
      predicate: c.expected,
      filter: c.expected,
      sql: c.expected,
    });
  });

  it.each([
    // Started an hour ago: a session 10 h behind UTC used to read valid_from 10 h later.
    { zone: 'Pacific/Honolulu', validFrom: before(3_600_000), expected: true },
    // Starts in an hour: a session 14 h ahead used to read valid_from 14 h earlier.
    { zone: 'Pacific/Kiritimati', validFrom: after(3_600_000), expected: false },
  ])('the SQL fragment judges the same in a session at $zone', async (c) => {
    // valid_from holds UTC wall time (timestamp without zone, as Prisma writes it).
    const row = await gw.prisma.habilitation.create({
      data: {
        clientId: clientUuid,
        datasets: [CNAF],
        purpose: `rule case: session in ${c.zone}`,
        legalBasis: 'test',
        maxDurationDays: 30,
        validFrom: c.validFrom,
      },
    });
    const ok = await gw.prisma.hotTransaction(async (tx) => {
      await tx.query(Prisma.sql`SELECT set_config('TimeZone', ${c.zone}, true)`);
      const { rows } = await tx.query<{ ok: boolean }>(Prisma.sql`
        SELECT ${activeHabilitationSql('h', AT, [CNAF])} AS ok
        FROM habilitation h WHERE h.id = ${row.id}::uuid`);
      return rows[0].ok;
    });
    expect(ok).toBe(c.expected);
  });

  it('splices only a plain alias into SQL, never a crafted one', () => {
    expect(() => activeHabilitationSql('h', AT)).not.toThrow();
    for (const alias of ['h; DROP TABLE habilitation', 'h.x', '"h"', '', 'H']) {
      expect(() => activeHabilitationSql(alias, AT)).toThrow(/not a plain SQL alias/);
    }
  });
});
