/**
 * The audit writer's robustness, against the real database (issue 10): text PostgreSQL refuses
 * (NUL, lone surrogates) is sanitised before it is hashed and stored, and an event the database
 * still refuses fails only its own caller, not the up to 256 other events of its batch.
 */
import { AuditService, storableText } from '../src/audit/audit.service.js';
import { errorOutcome } from '../src/audit/audit-outcome.js';
import { startGateway, type TestGateway } from './support/gateway.js';

describe('audit writer', () => {
  let gw: TestGateway;
  let audit: AuditService;

  beforeAll(async () => {
    gw = await startGateway();
    audit = gw.app.get(AuditService);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('replaces NUL and lone surrogates, keeps every other character', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb');
    expect(storableText('x\uD800y')).toBe('x\uFFFDy');
    expect(storableText('x\uDC00')).toBe('x\uFFFD');
    expect(storableText('Hélène 😀 \t\n')).toBe('Hélène 😀 \t\n');
  });

  it('stores an event holding NUL in any text field, and its batch with it; the chain verifies', async () => {
    const poisoned = audit.record({
      kind: 'test.nul',
      actor: 'operator',
      outcome: 'ok',
      datasetId: 'cnaf.\u0000x',
      requestId: 'req\u0000',
      details: { path: '/api/v1/admin/clients/\u0000abc', ['k\u0000']: ['\u0000'] },
    });
    const innocent = Array.from({ length: 20 }, (_, i) =>
      audit.record({ kind: 'test.batch', actor: 'client:x', outcome: 'ok', details: { i } }),
    );
    const [id, ...others] = await Promise.all([poisoned, ...innocent]);
    expect(others).toHaveLength(20);
    const row = await gw.prisma.auditEvent.findUniqueOrThrow({ where: { id } });
    expect(row.datasetId).toBe('cnaf.\uFFFDx');
    expect(row.requestId).toBe('req\uFFFD');
    expect(row.details).toEqual({
      path: '/api/v1/admin/clients/\uFFFDabc',
      'k\uFFFD': ['\uFFFD'],
    });
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('stores a batch exactly as chained: text array literals escape, nulls, and the chain order', async () => {
    // One statement takes the batch as one array per column: what an array literal quotes or
    // escapes, the word NULL and empty strings must come back as they were, nulls as nulls.
    const awkward = [
      'a"b',
      'back\\slash',
      '{braces}',
      'com,ma',
      'NULL',
      '',
      ' space ',
      'é 😀 \n\t',
    ];
    const inputs = Array.from({ length: 40 }, (_, i) => ({
      kind: 'test.array',
      actor: awkward[i % awkward.length],
      outcome: 'ok' as const,
      clientId: i % 3 === 0 ? null : awkward[(i + 1) % awkward.length],
      requestId: `array-${i}`,
      httpStatus: i % 2 === 0 ? null : 200 + i,
      details:
        i % 4 === 0 ? null : { text: awkward[i % awkward.length], i, list: [awkward[i % 5]] },
    }));
    const ids = await Promise.all(inputs.map((input) => audit.record(input)));
    const rows = await gw.prisma.auditEvent.findMany({
      where: { kind: 'test.array' },
      orderBy: { seq: 'asc' },
    });
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(
      rows.map((r) => [r.actor, r.clientId, r.requestId, r.httpStatus, r.details ?? null]),
    ).toEqual(inputs.map((i) => [i.actor, i.clientId, i.requestId, i.httpStatus, i.details]));
    // Stored in the order they were chained (seq follows the arrays' order); the chain verifies.
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('fails only the event the database refuses, never the others of its batch', async () => {
    const before = await gw.prisma.auditEvent.count();
    // duration_ms is an int column: 2^40 is refused (SQLSTATE 22003), whatever we sanitise.
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) =>
        audit.record({ kind: 'test.batch', actor: 'client:x', outcome: 'ok', details: { i } }),
      ),
      audit.record({ kind: 'test.bad', actor: 'client:x', outcome: 'ok', durationMs: 2 ** 40 }),
      ...Array.from({ length: 10 }, (_, i) =>
        audit.record({ kind: 'test.batch', actor: 'client:x', outcome: 'ok', details: { i } }),
      ),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      ...Array(10).fill('fulfilled'),
      'rejected',
      ...Array(10).fill('fulfilled'),
    ]);
    expect(await gw.prisma.auditEvent.count()).toBe(before + 20);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  // Several instances sweeping at once need one shared PostgreSQL (the embedded database serves
  // one process, and its sweep takes no lock): skipped, visibly, without DATABASE_URL.
  (process.env.DATABASE_URL ? it : it.skip)(
    `closes provider calls left without outcome as interrupted, once, however many instances sweep${process.env.DATABASE_URL ? '' : ' (skipped: needs DATABASE_URL)'}`,
    async () => {
      const intent = (requestId: string) =>
        audit.record({
          kind: 'provider.call',
          actor: 'client:x',
          outcome: 'started',
          requestId,
          consentId: '3f1c0b7e-4d7a-4c59-9a43-5a1b2c3d4e5f',
          details: { provider: 'cnaf' },
        });
      await intent('call-answered');
      await audit.record({
        kind: 'exchange.fetch',
        actor: 'client:x',
        outcome: 'ok',
        requestId: 'call-answered',
      });
      await intent('call-lost');
      // Recent intents are left alone (their call may still be running somewhere).
      expect(await audit.closeInterruptedCalls(new Date(Date.now() - 60_000))).toBe(0);
      expect((await audit.callsWithoutOutcome()).count).toBe(1);
      // Two sweeps at once (two instances): one outcome.
      const closed = await Promise.all([
        audit.closeInterruptedCalls(new Date(Date.now() + 1000)),
        audit.closeInterruptedCalls(new Date(Date.now() + 1000)),
      ]);
      expect(closed[0] + closed[1]).toBe(1);
      expect((await audit.callsWithoutOutcome()).count).toBe(0);
      const outcomes = await gw.prisma.auditEvent.findMany({
        where: { requestId: 'call-lost', kind: 'exchange.fetch_failed' },
      });
      expect(
        outcomes.map((o) => [o.outcome, o.consentId, (o.details as { provider: string }).provider]),
      ).toEqual([['interrupted', '3f1c0b7e-4d7a-4c59-9a43-5a1b2c3d4e5f', 'cnaf']]);
      expect(await audit.verify()).toMatchObject({ ok: true });
    },
  );

  it('knows the API FranceConnectée’s outcomes, and closes its lost calls under its own kind', async () => {
    const fcIntent = (requestId: string) =>
      audit.record({
        kind: 'provider.call',
        actor: 'client:x',
        outcome: 'started',
        requestId,
        details: { provider: 'dgfip', via: 'franceconnect', scopes: ['dgfip_avis_imposition'] },
      });
    await fcIntent('fc-answered');
    await audit.record({
      kind: 'exchange.france_connect_fetch_refused',
      actor: 'client:x',
      outcome: errorOutcome('citizen_unknown_to_provider'),
      requestId: 'fc-answered',
    });
    await fcIntent('fc-lost');
    expect((await audit.callsWithoutOutcome()).calls.map((c) => c.requestId)).toEqual(['fc-lost']);
    expect(await audit.closeInterruptedCalls(new Date(Date.now() + 1000))).toBe(1);
    const outcomes = await gw.prisma.auditEvent.findMany({
      where: { requestId: 'fc-lost' },
      orderBy: { seq: 'asc' },
    });
    expect(outcomes.map((o) => [o.kind, o.outcome, o.details])).toEqual([
      ['provider.call', 'started', expect.anything()],
      [
        'exchange.france_connect_fetch_failed',
        'interrupted',
        expect.objectContaining({ via: 'franceconnect', scopes: ['dgfip_avis_imposition'] }),
      ],
    ]);
    expect((await audit.callsWithoutOutcome()).count).toBe(0);
  });

  it('knows the preview’s outcome per dataset of one request, and closes its lost calls as previews', async () => {
    // One preview request calls two providers under one request id: each call is closed by the
    // outcome of its own dataset, so one lost outcome is not hidden by the other's.
    const previewIntent = (datasetId: string, providerId: string) =>
      audit.record({
        kind: 'provider.call',
        actor: 'citizen:c1',
        outcome: 'started',
        requestId: 'preview-req',
        datasetId,
        details: { consentRequestId: 'creq-1', providerId },
      });
    await previewIntent('cnaf.quotient_familial', 'cnaf');
    await previewIntent('dgfip.avis_imposition', 'dgfip');
    await audit.record({
      kind: 'consent.previewed',
      actor: 'citizen:c1',
      outcome: 'success',
      requestId: 'preview-req',
      datasetId: 'cnaf.quotient_familial',
    });
    const open = await audit.callsWithoutOutcome();
    expect(open.calls.map((c) => c.requestId)).toEqual(['preview-req']);
    expect(await audit.closeInterruptedCalls(new Date(Date.now() + 1000))).toBe(1);
    const closed = await gw.prisma.auditEvent.findMany({
      where: { requestId: 'preview-req', outcome: 'interrupted' },
    });
    expect(closed.map((o) => [o.kind, o.datasetId, o.actor, o.details])).toEqual([
      [
        'consent.previewed',
        'dgfip.avis_imposition',
        'system',
        expect.objectContaining({
          code: 'interrupted',
          consentRequestId: 'creq-1',
          providerId: 'dgfip',
        }),
      ],
    ]);
    expect((await audit.callsWithoutOutcome()).count).toBe(0);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });
});
