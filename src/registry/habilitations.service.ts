import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import type { Habilitation } from '../generated/prisma/client.js';
import {
  CreateHabilitationDto,
  HabilitationDto,
  HabilitationListQueryDto,
  HabilitationPageDto,
  UpdateHabilitationDto,
} from './dto/habilitation.dto.js';
import { RegistryErrors } from './errors.js';
import { pageArgs, toPage } from './pagination.js';

type HabilitationRow = Habilitation & { client: { clientId: string } };
const WITH_CLIENT = { client: { select: { clientId: true } } } as const;

/**
 * Habilitations follow DataPass: granted (active), possibly amended, then revoked for good.
 * Fetches read them live from the database (RegistryService), so a revocation stops every
 * fetch on every instance at once.
 */
@Injectable()
export class HabilitationsService {
  constructor(private readonly prisma: PrismaService) {}

  async create(dto: CreateHabilitationDto): Promise<HabilitationDto> {
    const client = await this.prisma.client.findUnique({
      where: { clientId: dto.clientId },
      select: { id: true },
    });
    if (!client)
      throw RegistryErrors.invalidField('clientId', 'clientId names no registered client');
    await this.requireDatasets(dto.datasets);
    const validFrom = dto.validFrom ? new Date(dto.validFrom) : new Date();
    const validTo = dto.validTo ? new Date(dto.validTo) : null;
    checkValidity(validFrom, validTo);
    const row = await this.prisma.habilitation.create({
      data: {
        clientId: client.id,
        datasets: dto.datasets,
        purpose: dto.purpose,
        legalBasis: dto.legalBasis,
        legalBasisUrl: dto.legalBasisUrl ?? null,
        maxDurationDays: dto.maxDurationDays,
        allowPeriodic: dto.allowPeriodic,
        minFetchIntervalSeconds: dto.minFetchIntervalSeconds,
        validFrom,
        validTo,
      },
      include: WITH_CLIENT,
    });
    return toHabilitationDto(row);
  }

  async list(query: HabilitationListQueryDto): Promise<HabilitationPageDto> {
    const page = pageArgs(query);
    const rows = await this.prisma.habilitation.findMany({
      where: {
        AND: [
          page.where,
          query.status ? { status: query.status } : {},
          query.clientId ? { client: { clientId: query.clientId } } : {},
        ],
      },
      orderBy: page.orderBy,
      take: page.take,
      include: WITH_CLIENT,
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
    const { count } = await this.prisma.habilitation.updateMany({
      where: { id, status: 'active' },
      data: {
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
      },
    });
    if (count === 0) throw RegistryErrors.habilitationRevoked(id);
    return toHabilitationDto(await this.find(id));
  }

  private async find(id: string): Promise<HabilitationRow> {
    const row = await this.prisma.habilitation.findUnique({ where: { id }, include: WITH_CLIENT });
    if (!row) throw RegistryErrors.notFound('habilitation', id);
    return row;
  }

  private async requireDatasets(ids: string[]): Promise<void> {
    const found = await this.prisma.dataset.findMany({
      where: { id: { in: ids } },
      select: { id: true },
    });
    const known = new Set(found.map((d) => d.id));
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
