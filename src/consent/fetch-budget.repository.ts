/**
 * The consented fetch's one statement before the provider call (issue 14): it reads the fetch
 * context (the consent, its habilitation, the dataset and its provider, the sealed identity) AND
 * spends the fetch budget, in one round trip and one commit. Consent owns the table it writes,
 * so the statement lives here; the exchange calls it.
 *
 * Why one statement: the read and the conditional UPDATE were two round trips per fetch (each
 * ~0.25 ms of latency and a wake-up of PostgreSQL and of the gateway on a loaded machine). The
 * budget is the narrow `consent_budget` row, not the consent row (~1.7 kB, copied whole by each
 * fetch before). Its conditions are evaluated by PostgreSQL on the current budget row under its
 * row lock (READ COMMITTED re-checks them after waiting for a concurrent writer), so another
 * fetch that committed first is seen: a `once` consent is spent once. The consent's own state
 * (status, validity, datasets) is read as of the statement's start: a revocation committed
 * before the fetch's statement began refuses it; one committed while the statement runs comes
 * after this fetch, as one committed just after it would. Every index used is a primary key.
 *
 * Its commit does not wait for the disk (`synchronous_commit` off for this statement's own
 * transaction only, set from inside it): the reservation is made durable by the call intent's
 * commit, which follows it and waits for the disk. PostgreSQL's write-ahead log is one sequence,
 * flushed up to a point: the intent's flush covers every record written before it, this
 * reservation included. Nothing is delivered and no provider is called without the intent, so
 * a crash can lose only a reservation that nothing used (the budget then comes back, as a
 * release would give it). What it saves: one flush per fetch, and the consent's row lock is
 * released at once instead of after a flush, so concurrent fetches of one consent stop queueing
 * behind each other's disk writes.
 */
import { Prisma } from '../generated/prisma/client.js';
import type { PrismaService } from '../database/index.js';
import { activeHabilitationSql } from '../registry/index.js';
import { utc } from './consent-expiry.repository.js';

/** What the statement returns. Instants as epoch milliseconds: no time-zone interpretation. */
export interface FetchContextRow {
  id: string;
  clientUuid: string;
  citizenId: string;
  datasets: string[];
  purpose: string;
  fetchMode: 'once' | 'periodic';
  status: 'active' | 'revoked' | 'expired';
  expiresAtMs: number;
  /** As read before this statement's reservation (the value a release puts back). */
  lastFetches: Record<string, string> | null;
  /** Only when the consent is the caller's (never read for someone else's consent). */
  identityCiphertext: string | null;
  wrappedKey: string | null;
  habStatus: string;
  habDatasets: string[];
  habValidFromMs: number;
  habValidToMs: number | null;
  minFetchIntervalSeconds: number;
  /** Null when the dataset is not in the registry. */
  datasetStatus: string | null;
  providerId: string | null;
  datasetVersion: string | null;
  providerStatus: string | null;
  providerVersion: string | null;
  /** Whether this statement spent one fetch of the budget (at the `at` it was given). */
  reserved: boolean;
}

/**
 * PostgreSQL type of each column, as the driver reports it: the compiler ties this list to
 * FetchContextRow (same keys), and fetch-budget.repository e2e test ties it to what the
 * statement really returns on the migrated schema (names and type OIDs), so a renamed or
 * retyped column fails a test, not a fetch.
 */
export const FETCH_CONTEXT_COLUMNS = {
  id: 'text',
  clientUuid: 'text',
  citizenId: 'text',
  datasets: 'text[]',
  purpose: 'text',
  fetchMode: 'text',
  status: 'text',
  expiresAtMs: 'float8',
  lastFetches: 'jsonb',
  identityCiphertext: 'text',
  wrappedKey: 'text',
  habStatus: 'text',
  habDatasets: 'text[]',
  habValidFromMs: 'float8',
  habValidToMs: 'float8',
  minFetchIntervalSeconds: 'int4',
  datasetStatus: 'text',
  providerId: 'text',
  datasetVersion: 'text',
  providerStatus: 'text',
  providerVersion: 'text',
  reserved: 'bool',
} as const satisfies Record<keyof FetchContextRow, string>;

export interface FetchContextQuery {
  consentId: string;
  datasetId: string;
  /** The authenticated client: the identity is read and the budget spent only for its own. */
  clientUuid: string;
  /** The instant the reservation is judged at and stored as (ISO text in last_fetches). */
  at: Date;
}

/**
 * The statement. `ctx` is the read (primary-key joins); `spent` the conditional UPDATE, which
 * spends one fetch only when all of these hold on the current row: the caller's consent, active,
 * within validity, covering the dataset, budget left (`once`: never fetched; `periodic`: the
 * minimum interval elapsed, none when it is 0), and from `ctx` the habilitation active and still
 * granting the dataset, dataset and provider active. ConsentedFetchService.judge states the same
 * conditions in words (and tells which one failed when nothing was spent).
 */
export async function readContextAndReserve(
  db: PrismaService,
  query: FetchContextQuery,
): Promise<FetchContextRow | null> {
  // hotQuery: outside Prisma's query pipeline (see PrismaService.hotQuery), as every fetch runs it.
  const { rows } = await db.hotQuery<FetchContextRow>(fetchContextStatement(query), {
    // Same text for every fetch: prepared once per connection (parse, plan, 3 kB of SQL saved).
    preparedAs: 'consent_fetch_context_and_reserve',
  });
  return rows[0] ?? null;
}

/**
 * The budget rule on the budget row `b`, written once for the two statements that spend (this
 * file's and ConsentRepository.reserveFetch): the dataset never fetched under this consent, or
 * the consent `periodic` and its minimum interval elapsed since the last fetch (none when 0).
 */
export function budgetLeftSql(
  fetchMode: Prisma.Sql,
  datasetId: string,
  atIso: string,
  minIntervalSeconds: Prisma.Sql,
): Prisma.Sql {
  return Prisma.sql`(
    (b.last_fetches -> ${datasetId}::text) IS NULL
    OR (
      ${fetchMode} = 'periodic'
      -- No minimum interval: concurrent fetches all pass, whatever order their clock readings
      -- commit in (else the later reading, committed first, refuses the other).
      AND (${minIntervalSeconds} = 0
        OR (b.last_fetches ->> ${datasetId}::text)::timestamptz
           <= ${atIso}::timestamptz - ${minIntervalSeconds} * interval '1 second')
    )
  )`;
}

/** The SQL of readContextAndReserve (exported for the test that checks its columns). */
export function fetchContextStatement(query: FetchContextQuery): Prisma.Sql {
  const { consentId, datasetId, clientUuid, at } = query;
  const atIso = at.toISOString();
  return Prisma.sql`
    WITH ctx AS (
      SELECT c.id, c.client_id, c.citizen_id, c.datasets, c.purpose, c.fetch_mode, c.status,
             c.expires_at, c.valid_from, b.last_fetches, c.identity_ciphertext, c.wrapped_key,
             h.status AS hab_status, h.datasets AS hab_datasets, h.valid_from AS hab_valid_from,
             h.valid_to AS hab_valid_to, h.min_fetch_interval_seconds,
             -- The habilitation rule, written once in registry (activeHabilitationSql).
             ${activeHabilitationSql('h', at, [datasetId])} AS hab_usable,
             d.status AS dataset_status, d.provider_id, d.updated_at AS dataset_updated_at,
             p.status AS provider_status, p.updated_at AS provider_updated_at,
             -- Local: this statement's transaction only (see the file's comment).
             set_config('synchronous_commit', 'off', true) AS commit_mode
      FROM consent c
      JOIN consent_budget b ON b.consent_id = c.id
      JOIN habilitation h ON h.id = c.habilitation_id
      LEFT JOIN dataset d ON d.id = ${datasetId}
      LEFT JOIN provider p ON p.id = d.provider_id
      WHERE c.id = ${consentId}::uuid
    ),
    spent AS (
      UPDATE consent_budget b
      SET fetch_count = b.fetch_count + 1,
          last_fetches = b.last_fetches || jsonb_build_object(${datasetId}::text, ${atIso}::text)
      FROM ctx
      WHERE b.consent_id = ctx.id
        AND ctx.client_id = ${clientUuid}::uuid
        AND ctx.status = 'active'
        -- expires_at and valid_from hold UTC wall time (timestamp without zone, as Prisma
        -- writes them): compared with the instant in UTC, whatever the session's TimeZone.
        AND ctx.expires_at > ${utc(at)}
        AND ctx.valid_from <= ${utc(at)}
        AND ${datasetId}::text = ANY(ctx.datasets)
        AND ${budgetLeftSql(Prisma.sql`ctx.fetch_mode`, datasetId, atIso, Prisma.sql`ctx.min_fetch_interval_seconds`)}
        AND ctx.hab_usable
        AND ctx.dataset_status = 'active'
        AND ctx.provider_status = 'active'
      RETURNING b.consent_id
    )
    SELECT ctx.id::text AS "id",
           ctx.client_id::text AS "clientUuid",
           ctx.citizen_id::text AS "citizenId",
           ctx.datasets AS "datasets",
           ctx.purpose AS "purpose",
           ctx.fetch_mode::text AS "fetchMode",
           ctx.status::text AS "status",
           (extract(epoch FROM ctx.expires_at) * 1000)::float8 AS "expiresAtMs",
           ctx.last_fetches AS "lastFetches",
           CASE WHEN ctx.client_id = ${clientUuid}::uuid THEN ctx.identity_ciphertext END
             AS "identityCiphertext",
           CASE WHEN ctx.client_id = ${clientUuid}::uuid THEN ctx.wrapped_key END AS "wrappedKey",
           ctx.hab_status::text AS "habStatus",
           ctx.hab_datasets AS "habDatasets",
           (extract(epoch FROM ctx.hab_valid_from) * 1000)::float8 AS "habValidFromMs",
           (extract(epoch FROM ctx.hab_valid_to) * 1000)::float8 AS "habValidToMs",
           ctx.min_fetch_interval_seconds AS "minFetchIntervalSeconds",
           ctx.dataset_status::text AS "datasetStatus",
           ctx.provider_id AS "providerId",
           ctx.dataset_updated_at::text AS "datasetVersion",
           ctx.provider_status::text AS "providerStatus",
           ctx.provider_updated_at::text AS "providerVersion",
           EXISTS (SELECT 1 FROM spent) AS "reserved"
    FROM ctx`;
}
