import { Injectable } from '@nestjs/common';
import {
  AccessEventsRepository,
  readOutcome,
  type AccessEventRow,
  type AccessKinds,
} from '../audit/index.js';
import { CitizenConsentsService } from '../consent/index.js';
import { RegistryService } from '../registry/index.js';
import type { AccessEntry, AccessPage } from './access-log.types.js';
import { PREVIEW_AUDIT_KIND } from './consent-pages.service.js';
import { ACCESS_OUTCOMES as T } from './texts.js';

export const ACCESS_PAGE_SIZE = 50;
export const MAX_ACCESS_PAGE_SIZE = 200;
/** Audit kinds that are an access to a citizen's data: every exchange event, and previews. */
const ACCESS_KINDS: AccessKinds = { prefix: 'exchange.', exact: [PREVIEW_AUDIT_KIND] };

/**
 * The citizen's access log ("Qui a consulté mes données", as Estonia's Data Tracker): every
 * audited access to their data, newest first, read from the append-only audit table and told
 * in plain French. Keyset pagination on the audit sequence number.
 */
@Injectable()
export class AccessLogService {
  constructor(
    private readonly events: AccessEventsRepository,
    private readonly registry: RegistryService,
    private readonly consents: CitizenConsentsService,
  ) {}

  /**
   * One page of accesses, newest first. `before` is the cursor of the previous page
   * (AccessEventsRepository.page says which index serves it).
   */
  async list(
    citizenId: string,
    options: { before?: string; limit?: number } = {},
  ): Promise<AccessPage> {
    const limit = Math.min(Math.max(options.limit ?? ACCESS_PAGE_SIZE, 1), MAX_ACCESS_PAGE_SIZE);
    const before = parseCursor(options.before);
    const rows = await this.events.page(citizenId, ACCESS_KINDS, before, limit);
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    const names = await this.lookups(kept);
    return {
      items: kept.map((row) => toEntry(row, names)),
      nextCursor: more ? kept[kept.length - 1].seq.toString() : null,
    };
  }

  /**
   * The citizen whose access `eventId` is (what list() shows them), or null when it is no
   * access to anyone's data.
   */
  async accessOwner(eventId: string): Promise<string | null> {
    if (!isUuid(eventId)) return null;
    return this.events.accessOwner(eventId, ACCESS_KINDS);
  }

  /** Names for one page: one primary-key/unique `IN` query per kind of reference. */
  private async lookups(rows: AccessEventRow[]): Promise<Lookups> {
    const unique = (values: Array<string | null>) => [
      ...new Set(values.filter((v): v is string => typeof v === 'string' && v !== '')),
    ];
    const clientIds = unique(rows.map((r) => r.clientId));
    const datasetIds = unique(rows.map((r) => r.datasetId));
    const consentIds = unique(rows.map((r) => r.consentId)).filter(isUuid);
    const requestIds = unique(rows.map((r) => detail(r.details, 'consentRequestId'))).filter(
      isUuid,
    );
    const [clients, datasets, purposes] = await Promise.all([
      this.registry.clientNames(clientIds),
      this.registry.describeDatasets(datasetIds),
      this.consents.purposesOf(consentIds, requestIds),
    ]);
    return {
      clients,
      datasets: new Map([...datasets].map(([id, d]) => [id, d.title])),
      consentPurposes: purposes.consents,
      requestPurposes: purposes.requests,
    };
  }
}

interface Lookups {
  clients: Map<string, string>;
  datasets: Map<string, string>;
  consentPurposes: Map<string, string>;
  requestPurposes: Map<string, string>;
}

function toEntry(row: AccessEventRow, names: Lookups): AccessEntry {
  const preview = row.kind === PREVIEW_AUDIT_KIND;
  const code = detail(row.details, 'code');
  const { outcome, text } = describeOutcome(row.kind, row.outcome, code);
  let purpose: string | null;
  if (preview) {
    const requestPurpose = names.requestPurposes.get(detail(row.details, 'consentRequestId') ?? '');
    purpose = requestPurpose ? T.previewPurpose(requestPurpose) : T.previewPurposeUnknown;
  } else {
    purpose =
      (row.consentId ? names.consentPurposes.get(row.consentId) : undefined) ??
      detail(row.details, 'purpose');
  }
  return {
    id: row.id,
    occurredAt: row.occurredAt,
    kind: preview ? 'preview' : 'fetch',
    clientId: row.clientId,
    serviceName: (row.clientId ? names.clients.get(row.clientId) : undefined) ?? T.unknownService,
    datasetId: row.datasetId,
    datasetTitle:
      (row.datasetId ? names.datasets.get(row.datasetId) : undefined) ?? row.datasetId ?? '',
    purpose,
    outcome,
    outcomeText: text,
    code: code ?? (readOutcome(row.outcome) === 'done' ? null : row.outcome),
    viaFranceConnect: detail(row.details, 'via') === 'franceconnect',
    scopes: detailList(row.details, 'scopes'),
  };
}

/**
 * What happened, in plain French: "transmis", "refusé : consentement révoqué", "échec :
 * administration indisponible"… from the audit outcome (read by the audit module's
 * readOutcome, whatever year the row was written) and, when present, its stable code.
 */
export function describeOutcome(
  kind: string,
  outcome: string,
  code: string | null,
): { outcome: AccessEntry['outcome']; text: string } {
  const known = (code && T.byCode[code]) || T.byCode[outcome];
  if (kind === PREVIEW_AUDIT_KIND) {
    return readOutcome(outcome) === 'done'
      ? { outcome: 'previewed', text: T.previewed }
      : { outcome: 'failed', text: `${T.previewFailed}${known ? ` (${known})` : ''}` };
  }
  const read = readOutcome(outcome);
  if (read === 'done') return { outcome: 'transmitted', text: T.transmitted };
  if (known) return { outcome: known.startsWith(T.refused) ? 'refused' : 'failed', text: known };
  if (read === 'refused') return { outcome: 'refused', text: T.refused };
  return { outcome: 'failed', text: T.failed };
}

function detail(details: unknown, key: string): string | null {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return null;
  const value = (details as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
}

function detailList(details: unknown, key: string): string[] {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return [];
  const value = (details as Record<string, unknown>)[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** The seq of a cursor, or null; a cursor is the decimal seq of the last row of a page. */
export function parseCursor(cursor: string | undefined): bigint | null {
  if (cursor === undefined || cursor === '') return null;
  if (!/^\d{1,19}$/.test(cursor)) return null;
  return BigInt(cursor);
}
