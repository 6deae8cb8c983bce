/**
 * The registry's raw reads on the consent request and token paths (RegistryRepository's
 * hotQuery statements): their columns against the real, migrated schema (names and PostgreSQL
 * types, as the row interfaces declare them), and their answers against what the Prisma reads
 * they replaced give on the same rows (the habilitation rule's Prisma filter, newest first).
 */
import { RegistryService } from '../src/registry/index.js';
import { activeHabilitationWhere } from '../src/registry/habilitation-rule.js';
import {
  ACTIVE_HABILITATION_DATASETS_COLUMNS,
  activeHabilitationDatasetsStatement,
  CONSENT_REQUEST_CHECKS_COLUMNS,
  consentRequestChecksStatement,
} from '../src/registry/registry.repository.js';
import { consentClient, seedConsentCatalog } from './support/consent.js';
import { declaredColumns as declared, describedColumns as described } from './support/database.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { ADMIN, operatorApi, seedHabilitation } from './support/operator.js';

const CNAF = 'cnaf.quotient_familial';
const DGFIP = 'dgfip.avis_imposition';
const TRAVAIL = 'france_travail.statut';
const DAY = 86_400_000;

describe('registry raw reads of the consent request and token paths', () => {
  let gw: TestGateway;
  let registry: RegistryService;

  beforeAll(async () => {
    gw = await startGateway();
    await seedConsentCatalog(gw);
    registry = gw.app.get(RegistryService);
  });
  afterAll(() => gw?.close());

  /** A client with, besides consentClient's CNAF one, a revoked, an ended and a later grant. */
  async function clientWithHistory() {
    const c = await consentClient(gw, { maxDurationDays: 90 });
    const grant = (input: Record<string, unknown>) =>
      seedHabilitation(gw, { clientId: c.client.clientId, datasets: [DGFIP], ...input });
    const revoked = await grant({ datasets: [TRAVAIL] });
    const res = await operatorApi(gw).patch(`${ADMIN}/habilitations/${revoked.id}`, {
      status: 'revoked',
    });
    expect(res.status).toBe(200);
    await grant({
      datasets: [TRAVAIL],
      validFrom: new Date(Date.now() - 3 * DAY).toISOString(),
      validTo: new Date(Date.now() - DAY).toISOString(),
    });
    const later = await grant({
      datasets: [DGFIP, CNAF],
      allowPeriodic: true,
      maxDurationDays: 30,
      validTo: new Date(Date.now() + 10 * DAY).toISOString(),
    });
    return { c, laterId: later.id as string };
  }

  it('consentRequestChecks returns exactly the columns its row declares, with their types', async () => {
    const { c } = await clientWithHistory();
    const { rows, fields } = await gw.prisma.hotQuery(
      consentRequestChecksStatement(c.client.id, [CNAF, DGFIP], new Date()),
    );
    expect(rows).toHaveLength(2);
    expect(described(fields)).toEqual(declared(CONSENT_REQUEST_CHECKS_COLUMNS));
  });

  it('activeHabilitationDatasets returns exactly the columns its row declares, with their types', async () => {
    const { c } = await clientWithHistory();
    const { rows, fields } = await gw.prisma.hotQuery(
      activeHabilitationDatasetsStatement(c.client.id, new Date()),
    );
    expect(rows).toHaveLength(2);
    expect(described(fields)).toEqual(declared(ACTIVE_HABILITATION_DATASETS_COLUMNS));
  });

  it('consent request checks answer what the Prisma reads answer on the same rows', async () => {
    const { c, laterId } = await clientWithHistory();
    const at = new Date();
    const checks = await registry.consentRequestChecks(c.client.id, [TRAVAIL, CNAF, DGFIP], at);

    const client = await gw.prisma.client.findUniqueOrThrow({ where: { id: c.client.id } });
    const habilitations = await gw.prisma.habilitation.findMany({
      where: activeHabilitationWhere(c.client.id, at),
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    expect(habilitations.map((h) => h.id)).toEqual([laterId, c.habilitationId]);
    expect(checks).not.toBeNull();
    expect(checks!.redirectUris).toEqual(client.redirectUris);
    expect([...checks!.activeDatasetIds].sort()).toEqual([CNAF, DGFIP, TRAVAIL]);
    expect(checks!.habilitations).toEqual(
      habilitations.map((h) => ({
        id: h.id,
        status: h.status,
        datasets: h.datasets,
        validFrom: h.validFrom.getTime(),
        validTo: h.validTo?.getTime() ?? null,
        maxDurationDays: h.maxDurationDays,
        allowPeriodic: h.allowPeriodic,
      })),
    );
  });

  it('leaves out disabled datasets and datasets of a disabled provider', async () => {
    const c = await consentClient(gw);
    await gw.prisma.dataset.update({ where: { id: DGFIP }, data: { status: 'disabled' } });
    await gw.prisma.provider.update({
      where: { id: 'france_travail' },
      data: { status: 'disabled' },
    });
    try {
      const checks = await registry.consentRequestChecks(
        c.client.id,
        [CNAF, DGFIP, TRAVAIL, 'unknown.dataset'],
        new Date(),
      );
      expect(checks?.activeDatasetIds).toEqual([CNAF]);
    } finally {
      await gw.prisma.dataset.update({ where: { id: DGFIP }, data: { status: 'active' } });
      await gw.prisma.provider.update({
        where: { id: 'france_travail' },
        data: { status: 'active' },
      });
    }
  });

  it('an unknown client: null; a client without an active habilitation: none, its URIs still read', async () => {
    expect(
      await registry.consentRequestChecks(
        '00000000-0000-4000-8000-000000000000',
        [CNAF],
        new Date(),
      ),
    ).toBeNull();
    const c = await consentClient(gw);
    const res = await operatorApi(gw).patch(`${ADMIN}/habilitations/${c.habilitationId}`, {
      status: 'revoked',
    });
    expect(res.status).toBe(200);
    expect(await registry.consentRequestChecks(c.client.id, [CNAF], new Date())).toEqual({
      redirectUris: [c.redirectUri],
      activeDatasetIds: [CNAF],
      habilitations: [],
    });
    expect(await registry.grantableDatasets(c.client.id)).toEqual([]);
  });

  it('grantable datasets: those of the active habilitations, each once, sorted', async () => {
    const { c } = await clientWithHistory();
    expect(await registry.grantableDatasets(c.client.id)).toEqual([CNAF, DGFIP]);
    // Past the later grant's end, only the first one's remains.
    expect(await registry.grantableDatasets(c.client.id, new Date(Date.now() + 20 * DAY))).toEqual([
      CNAF,
    ]);
  });
});
