import { Injectable } from '@nestjs/common';
import {
  CreateHabilitationDto,
  HabilitationDto,
  HabilitationListQueryDto,
  HabilitationPageDto,
  UpdateHabilitationDto,
} from './dto/habilitation.dto.js';
import { RegistryErrors } from './errors.js';
import { HabilitationsRepository, type HabilitationRow } from './habilitations.repository.js';
import { pageArgs, toPage } from './pagination.js';

/**
 * Habilitations follow DataPass: granted (active), possibly amended, then revoked for good.
 * Fetches read them live from the database (RegistryService), so a revocation stops every
 * fetch on every instance at once.
 */
@Injectable()
export class HabilitationsService {
  constructor(private readonly habilitations: HabilitationsRepository) {}

  async create(dto: CreateHabilitationDto): Promise<HabilitationDto> {
    const clientUuid = await this.habilitations.clientUuid(dto.clientId);
    if (!clientUuid)
      throw RegistryErrors.invalidField('clientId', 'clientId names no registered client');
    await this.requireDatasets(dto.datasets);
    const validFrom = dto.validFrom ? new Date(dto.validFrom) : new Date();
    const validTo = dto.validTo ? new Date(dto.validTo) : null;
    checkValidity(validFrom, validTo);
    const row = await this.habilitations.create({
      clientId: clientUuid,
      datasets: dto.datasets,
      purpose: dto.purpose,
      legalBasis: dto.legalBasis,
      legalBasisUrl: dto.legalBasisUrl ?? null,
      maxDurationDays: dto.maxDurationDays,
      allowPeriodic: dto.allowPeriodic,
      minFetchIntervalSeconds: dto.minFetchIntervalSeconds,
      validFrom,
      validTo,
    });
    return toHabilitationDto(row);
  }

  async list(query: HabilitationListQueryDto): Promise<HabilitationPageDto> {
    const page = pageArgs(query);
    const rows = await this.habilitations.list(page, {
      status: query.status,
      clientId: query.clientId,
    });
    return toPage(rows, page.limit, toHabilitationDto);
  }

  async get(id: string): Promise<HabilitationDto> {
    return toHabilitationDto(await this.find(id));
  }

  async update(id: string, dto: UpdateHabilitationDto): Promise<HabilitationDto> {
    const current = await this.find(id);
    if (current.status === 'revoked') throw RegistryErrors.habilitationRevoked(id);
    if (dto.datasets) await this.requireDatasets(dto.datasets);
    const validFrom = dto.validFrom ? new Date(dto.validFrom) : current.validFrom;
    const validTo =
      dto.validTo === undefined
        ? current.validTo
        : dto.validTo === null
          ? null
          : new Date(dto.validTo);
    if (dto.validFrom !== undefined || dto.validTo !== undefined) checkValidity(validFrom, validTo);
    // Conditional on `active`: a revocation landing between the read above and this write wins.
    const updated = await this.habilitations.updateIfActive(id, {
      datasets: dto.datasets,
      purpose: dto.purpose,
      legalBasis: dto.legalBasis,
      legalBasisUrl: dto.legalBasisUrl,
      maxDurationDays: dto.maxDurationDays,
      allowPeriodic: dto.allowPeriodic,
      minFetchIntervalSeconds: dto.minFetchIntervalSeconds,
      validFrom: dto.validFrom === undefined ? undefined : validFrom,
      validTo: dto.validTo === undefined ? undefined : validTo,
      status: dto.status,
    });
    if (!updated) throw RegistryErrors.habilitationRevoked(id);
    return toHabilitationDto(await this.find(id));
  }

  private async find(id: string): Promise<HabilitationRow> {
    const row = await this.habilitations.find(id);
    if (!row) throw RegistryErrors.notFound('habilitation', id);
    return row;
  }

  private async requireDatasets(ids: string[]): Promise<void> {
    const known = await this.habilitations.existingDatasetIds(ids);
    const missing = ids.filter((d) => !known.has(d));
    if (missing.length > 0) {
      throw RegistryErrors.invalidField('datasets', `unknown datasets: ${missing.join(', ')}`);
    }
  }
}

function checkValidity(validFrom: Date, validTo: Date | null): void {
  if (validTo && validTo.getTime() <= validFrom.getTime()) {
    throw RegistryErrors.invalidField('validTo', 'validTo must be after validFrom');
  }
}

export function toHabilitationDto(row: HabilitationRow): HabilitationDto {
  return {
    id: row.id,
    clientId: row.client.clientId,
    datasets: row.datasets,
    purpose: row.purpose,
    legalBasis: row.legalBasis,
    legalBasisUrl: row.legalBasisUrl,
    maxDurationDays: row.maxDurationDays,
    allowPeriodic: row.allowPeriodic,
    minFetchIntervalSeconds: row.minFetchIntervalSeconds,
    validFrom: row.validFrom,
    validTo: row.validTo,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
