/**
 * Consent's one statement on the fetch's hot path (readContextAndReserve): its columns against
 * the real, migrated schema (names and PostgreSQL types, as FetchContextRow declares them), and
 * the budget rules it enforces on its own — once, concurrency, someone else's consent,
 * revocation, a habilitation withdrawn — on the real database.
 */
import { ConsentService } from '../src/consent/consent.service.js';
import {
  FETCH_CONTEXT_COLUMNS,
  fetchContextStatement,
  readContextAndReserve,
  type FetchContextQuery,
} from '../src/consent/fetch-budget.repository.js';
import { Client } from 'pg';
import { Prisma } from '../src/generated/prisma/client.js';
import type { PrismaService } from '../src/database/prisma.service.js';
import { approvedConsent, consentClient, seedConsentCatalog } from './support/consent.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { declaredColumns, describedColumns } from './support/database.js';
import { ADMIN, operatorApi } from './support/operator.js';

const CNAF = 'cnaf.quotient_familial';

describe('consent fetch budget: one statement reads the context and spends a fetch', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway();
    await seedConsentCatalog(gw);
  });
  afterAll(() => gw?.close());

  const query = (consentId: string, clientUuid: string): FetchContextQuery => ({
    consentId,
    datasetId: CNAF,
    clientUuid,
    at: new Date(),
  });

  it('returns exactly the columns FetchContextRow declares, with their PostgreSQL types', async () => {
    const c = await consentClient(gw, { allowPeriodic: true });
    const { consentId } = await approvedConsent(gw, c, { fetchMode: 'periodic' });
    const { rows, fields } = await gw.prisma.hotQuery(
      fetchContextStatement(query(consentId, c.client.id)),
    );
    expect(rows).toHaveLength(1);
    expect(describedColumns(fields)).toEqual(declaredColumns(FETCH_CONTEXT_COLUMNS));
    // And the driver's values have the JavaScript shapes the interface promises.
    const row = await readContextAndReserve(gw.prisma, query(consentId, c.client.id));
    expect(row).toMatchObject({
      id: consentId,
      clientUuid: c.client.id,
      datasets: [CNAF],
      fetchMode: 'periodic',
      status: 'active',
      expiresAtMs: expect.any(Number),
      habValidFromMs: expect.any(Number),
      minFetchIntervalSeconds: 0,
      identityCiphertext: expect.any(String),
      wrappedKey: expect.any(String),
      lastFetches: { [CNAF]: expect.any(String) },
      reserved: true,
    });
  });

  it('a `once` consent is spent exactly once, by one of many concurrent fetches', async () => {
    const c = await consentClient(gw);
    const { consentId } = await approvedConsent(gw, c, { fetchMode: 'once' });
    const rows = await Promise.all(
      Array.from({ length: 8 }, () =>
        readContextAndReserve(gw.prisma, query(consentId, c.client.id)),
      ),
    );
    expect(rows.filter((r) => r?.reserved)).toHaveLength(1);
    const after = await readContextAndReserve(gw.prisma, query(consentId, c.client.id));
    expect(after).toMatchObject({ reserved: false, lastFetches: { [CNAF]: expect.any(String) } });
    const stored = await gw.prisma.consentBudget.findUniqueOrThrow({ where: { consentId } });
    expect(stored.fetchCount).toBe(1);
  });

  it("another client's consent: nothing spent, no identity returned", async () => {
    const owner = await consentClient(gw);
    const other = await consentClient(gw);
    const { consentId } = await approvedConsent(gw, owner, { fetchMode: 'once' });
    const row = await readContextAndReserve(gw.prisma, query(consentId, other.client.id));
    expect(row).toMatchObject({ reserved: false, identityCiphertext: null, wrappedKey: null });
    // Still unspent for its owner.
    const mine = await readContextAndReserve(gw.prisma, query(consentId, owner.client.id));
    expect(mine?.reserved).toBe(true);
  });

  it('a revoked consent or a withdrawn habilitation spends nothing', async () => {
    const c = await consentClient(gw, { allowPeriodic: true });
    const revoked = await approvedConsent(gw, c, { fetchMode: 'periodic' });
    await gw.app.get(ConsentService).revokeByCitizen(revoked.consentId, revoked.citizenId);
    expect(
      await readContextAndReserve(gw.prisma, query(revoked.consentId, c.client.id)),
    ).toMatchObject({ reserved: false, status: 'revoked', wrappedKey: null });

    const withdrawn = await approvedConsent(gw, c, { fetchMode: 'periodic' });
    const res = await operatorApi(gw).patch(`${ADMIN}/habilitations/${c.habilitationId}`, {
      status: 'revoked',
    });
    expect(res.status).toBe(200);
    const row = await readContextAndReserve(gw.prisma, query(withdrawn.consentId, c.client.id));
    expect(row).toMatchObject({ reserved: false, habStatus: 'revoked', status: 'active' });
    const stored = await gw.prisma.consentBudget.findUniqueOrThrow({
      where: { consentId: withdrawn.consentId },
    });
    expect(stored.fetchCount).toBe(0);
  });

  it("commits without waiting for the disk, and leaves the connection's setting as it was", async () => {
    // The call intent's commit (synchronous) flushes this reservation with it: see
    // fetch-budget.repository. What must hold: off inside the statement's transaction, and
    // nothing left on the pooled connection, whose next statement may be an audit write.
    const c = await consentClient(gw, { allowPeriodic: true });
    const { consentId } = await approvedConsent(gw, c, { fetchMode: 'periodic' });
    const mode = Prisma.sql`SELECT current_setting('synchronous_commit') AS "mode"`;
    const inside = await gw.prisma.hotTransaction(async (tx) => {
      await tx.query(fetchContextStatement(query(consentId, c.client.id)));
      return (await tx.query<{ mode: string }>(mode)).rows[0].mode;
    });
    expect(inside).toBe('off');

    // One connection, autocommitted as the fetch runs it: before, the statement, after.
    const url = gw.database.url;
    const client = url ? new Client({ connectionString: url }) : undefined;
    await client?.connect();
    const run = async <T>(sql: Prisma.Sql) =>
      client
        ? ((await client.query({ text: sql.text, values: sql.values })).rows as T[])
        : (await gw.prisma.hotQuery<T>(sql)).rows;
    try {
      const [before] = await run<{ mode: string }>(mode);
      const [row] = await run<{ reserved: boolean }>(
        fetchContextStatement(query(consentId, c.client.id)),
      );
      expect(row.reserved).toBe(true);
      const [after] = await run<{ mode: string }>(mode);
      expect(before.mode).not.toBe('off');
      expect(after.mode).toBe(before.mode);
    } finally {
      await client?.end();
    }
  });

  it.each([
    // Just approved (valid from now): a session 10 h behind UTC read valid_from 10 h later.
    { zone: 'Pacific/Honolulu', expiresInMs: null },
    // Ends in an hour: a session 14 h ahead read expires_at 14 h earlier, so already past.
    { zone: 'Pacific/Kiritimati', expiresInMs: 3_600_000 },
  ])('judges validity in UTC whatever the session time zone ($zone)', async (c) => {
    const client = await consentClient(gw, { allowPeriodic: true });
    const { consentId } = await approvedConsent(gw, client, { fetchMode: 'periodic' });
    if (c.expiresInMs !== null) {
      await gw.prisma.consent.update({
        where: { id: consentId },
        data: { expiresAt: new Date(Date.now() + c.expiresInMs) },
      });
    }
    const row = await gw.prisma.hotTransaction(async (tx) => {
      await tx.query(Prisma.sql`SELECT set_config('TimeZone', ${c.zone}, true)`);
      const session = { hotQuery: tx.query.bind(tx) } as unknown as PrismaService;
      return readContextAndReserve(session, query(consentId, client.client.id));
    });
    expect(row?.reserved).toBe(true);
  });
});
