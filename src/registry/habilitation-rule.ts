/**
 * THE habilitation rule, written once (issue 13). A habilitation lets its client ask for, hold a
 * token for, and fetch a dataset when:
 *
 *   status = 'active'  AND  valid_from <= at  AND  (valid_to IS NULL OR at < valid_to)
 *   AND the dataset is among its datasets.
 *
 * Three forms of the same rule: `activeHabilitationWhere` is the Prisma filter the registry's
 * repository filters with (index habilitation(client_id, status) narrows to one client's few
 * rows), `activeHabilitationSql` (habilitations.repository.ts, as it builds SQL) the raw SQL
 * fragment for statements written by hand (the fetch's one statement,
 * src/consent/fetch-budget.repository.ts; the consent request's and the token endpoint's
 * registry reads, registry.repository.ts), and `isHabilitationActive` the
 * predicate for rows already read (the exchange's one-query fetch context, a consent's
 * decision). habilitation-rule.spec.ts tests the predicate; test/habilitation-rule.e2e-spec.ts
 * checks that the three agree, case by case, against PostgreSQL.
 */
import type { Prisma } from '../generated/prisma/client.js';

/** What the rule reads of a habilitation; instants as Date or epoch milliseconds. */
export interface HabilitationValidity {
  status: string;
  validFrom: Date | number;
  validTo: Date | number | null;
  datasets: readonly string[];
}

const ms = (instant: Date | number): number =>
  typeof instant === 'number' ? instant : instant.getTime();

/** Active and valid at `at`, and covering every one of `datasets` (none: validity only). */
export function isHabilitationActive(
  h: HabilitationValidity,
  at: Date = new Date(),
  datasets: readonly string[] = [],
): boolean {
  const now = at.getTime();
  return (
    h.status === 'active' &&
    ms(h.validFrom) <= now &&
    (h.validTo === null || ms(h.validTo) > now) &&
    datasets.every((d) => h.datasets.includes(d))
  );
}

/** The same rule as a Prisma filter: this client's habilitations active at `at`, covering `datasets`. */
export function activeHabilitationWhere(
  clientUuid: string,
  at: Date,
  datasets: readonly string[] = [],
): Prisma.HabilitationWhereInput {
  return {
    clientId: clientUuid,
    status: 'active',
    validFrom: { lte: at },
    OR: [{ validTo: null }, { validTo: { gt: at } }],
    ...(datasets.length > 0 ? { datasets: { hasEvery: [...datasets] } } : {}),
  };
}
