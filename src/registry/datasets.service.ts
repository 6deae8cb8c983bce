import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Dataset, Prisma } from '../generated/prisma/client.js';
import {
  CreateDatasetDto,
  DatasetDto,
  DatasetListQueryDto,
  DatasetPageDto,
  UpdateDatasetDto,
} from './dto/dataset.dto.js';
import { DATASET_REFERENCES, type DatasetReferences } from './dataset-references.js';
import { RegistryErrors } from './errors.js';
import { pageArgs, toPage } from './pagination.js';
import { DatasetsRepository } from './datasets.repository.js';
import { isWriteConflict } from './write-conflicts.repository.js';
import { unknownFieldPath } from './validators.js';

@Injectable()
export class DatasetsService {
  constructor(
    private readonly datasets: DatasetsRepository,
    private readonly moduleRef: ModuleRef,
  ) {}

  async create(dto: CreateDatasetDto): Promise<DatasetDto> {
    if (!(await this.datasets.providerExists(dto.providerId)))
      throw RegistryErrors.invalidField('providerId', 'providerId names no registered provider');
    const fields = dto.fields ?? {};
    checkFieldsAgainstSchema(fields, dto.responseSchema);
    await this.checkFranceConnectScope(dto.franceConnectScope, dto.id);
    try {
      const row = await this.datasets.create({
        id: dto.id,
        providerId: dto.providerId,
        path: dto.path,
        identityParams: dto.identityParams,
        responseSchema: dto.responseSchema as Prisma.InputJsonObject,
        title: dto.title,
        description: dto.description ?? '',
        fields,
        status: dto.status,
        franceConnectScope: dto.franceConnectScope ?? null,
      });
      return toDatasetDto(row);
    } catch (err) {
      if (isWriteConflict(err, 'duplicate')) throw RegistryErrors.exists('dataset', dto.id);
      if (isWriteConflict(err, 'referenced')) {
        throw RegistryErrors.invalidField('providerId', 'providerId names no registered provider');
      }
      throw err;
    }
  }

  async list(query: DatasetListQueryDto): Promise<DatasetPageDto> {
    const page = pageArgs(query);
    const rows = await this.datasets.list(page, {
      status: query.status,
      providerId: query.providerId,
    });
    return toPage(rows, page.limit, toDatasetDto);
  }

  async get(id: string): Promise<DatasetDto> {
    return toDatasetDto(await this.find(id));
  }

  async update(id: string, dto: UpdateDatasetDto): Promise<DatasetDto> {
    const current = await this.find(id);
    await this.checkFranceConnectScope(dto.franceConnectScope, id);
    if (dto.fields !== undefined || dto.responseSchema !== undefined) {
      checkFieldsAgainstSchema(
        dto.fields ?? (current.fields as Record<string, string>),
        dto.responseSchema ?? current.responseSchema,
      );
    }
    try {
      const row = await this.datasets.update(id, {
        path: dto.path,
        identityParams: dto.identityParams,
        responseSchema: dto.responseSchema as Prisma.InputJsonObject | undefined,
        title: dto.title,
        description: dto.description,
        fields: dto.fields,
        status: dto.status,
        franceConnectScope: dto.franceConnectScope,
      });
      return toDatasetDto(row);
    } catch (err) {
      if (isWriteConflict(err, 'missing')) throw RegistryErrors.notFound('dataset', id);
      throw err;
    }
  }

  /**
   * Only a dataset nothing refers to: habilitations, consent requests and consents name
   * datasets by id (arrays, no foreign key), and a citizen must still see what they agreed
   * to. Otherwise disable it (PATCH status). The consent module counts its own tables
   * (DatasetReferences); without it, nothing is deleted (fail closed).
   */
  async remove(id: string): Promise<void> {
    await this.find(id);
    const references = this.moduleRef.get<DatasetReferences>(DATASET_REFERENCES, {
      strict: false,
    });
    const [habilitations, { requests, consents }] = await Promise.all([
      this.datasets.countHabilitations(id),
      references.countReferences(id),
    ]);
    const users = [
      habilitations && `${habilitations} habilitation(s)`,
      requests && `${requests} consent request(s)`,
      consents && `${consents} consent(s)`,
    ].filter(Boolean);
    if (users.length > 0) throw RegistryErrors.inUse('dataset', id, users.join(', '));
    try {
      await this.datasets.delete(id);
    } catch (err) {
      if (isWriteConflict(err, 'missing')) throw RegistryErrors.notFound('dataset', id);
      throw err;
    }
  }

  /** One dataset per FranceConnect scope (the unique index is the last word). */
  private async checkFranceConnectScope(scope: string | null | undefined, selfId: string) {
    if (!scope) return;
    const other = await this.datasets.idByFranceConnectScope(scope);
    if (other && other !== selfId) {
      throw RegistryErrors.invalidField(
        'franceConnectScope',
        `franceConnectScope is already the scope of dataset ${other}`,
      );
    }
  }

  private async find(id: string): Promise<Dataset> {
    const row = await this.datasets.find(id);
    if (!row) throw RegistryErrors.notFound('dataset', id);
    return row;
  }
}

function checkFieldsAgainstSchema(fields: Record<string, string>, schema: unknown): void {
  const unknown = Object.keys(fields).find((path) => unknownFieldPath(schema, path));
  if (unknown) {
    throw RegistryErrors.invalidField(
      'fields',
      `fields["${unknown}"] names a property the responseSchema does not allow`,
    );
  }
}

export function toDatasetDto(row: Dataset): DatasetDto {
  return {
    id: row.id,
    providerId: row.providerId,
    path: row.path,
    identityParams: row.identityParams as Record<string, string>,
    responseSchema: row.responseSchema as Record<string, unknown>,
    title: row.title,
    description: row.description,
    fields: row.fields as Record<string, string>,
    franceConnectScope: row.franceConnectScope,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
