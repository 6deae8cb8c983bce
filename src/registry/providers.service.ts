import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { encrypt, assertOutboundTarget } from '../common/index.js';
import type { Prisma, Provider } from '../generated/prisma/client.js';
import {
  CreateProviderDto,
  ProviderAuthInput,
  ProviderDto,
  ProviderListQueryDto,
  ProviderPageDto,
  UpdateProviderDto,
} from './dto/provider.dto.js';
import { RegistryErrors } from './errors.js';
import { pageArgs, toPage } from './pagination.js';
import { ProvidersRepository } from './providers.repository.js';
import { isWriteConflict } from './write-conflicts.repository.js';
import type { ProviderAuthConfig } from './registry.types.js';

/** AAD of a provider's secret: a ciphertext copied onto another provider row does not open. */
export const providerSecretContext = (providerId: string) => `provider:${providerId}`;

/** Base URLs are stored without trailing slashes: the dataset path brings its own. */
export const normalizeBaseUrl = (url: string) => url.replace(/\/+$/, '');

@Injectable()
export class ProvidersService {
  constructor(
    private readonly providers: ProvidersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** SSRF: the gateway will call these URLs; internal targets only when allow-listed. */
  private checkTargets(dto: { baseUrl?: string; auth?: ProviderAuthInput }): void {
    assertOutboundTarget('baseUrl', dto.baseUrl, this.config.outboundAllowList);
    const tokenUrl = (dto.auth as { tokenUrl?: string } | undefined)?.tokenUrl;
    assertOutboundTarget('auth.tokenUrl', tokenUrl, this.config.outboundAllowList);
  }

  async create(dto: CreateProviderDto): Promise<ProviderDto> {
    this.checkTargets(dto);
    try {
      const row = await this.providers.create({
        id: dto.id,
        name: dto.name,
        baseUrl: normalizeBaseUrl(dto.baseUrl),
        ...this.sealAuth(dto.id, dto.auth),
        timeoutMs: dto.timeoutMs,
        maxConcurrency: dto.maxConcurrency,
        status: dto.status,
      });
      return toProviderDto(row);
    } catch (err) {
      if (isWriteConflict(err, 'duplicate')) throw RegistryErrors.exists('provider', dto.id);
      throw err;
    }
  }

  async list(query: ProviderListQueryDto): Promise<ProviderPageDto> {
    const page = pageArgs(query);
    const rows = await this.providers.list(page, query.status);
    return toPage(rows, page.limit, toProviderDto);
  }

  async get(id: string): Promise<ProviderDto> {
    const row = await this.providers.find(id);
    if (!row) throw RegistryErrors.notFound('provider', id);
    return toProviderDto(row);
  }

  async update(id: string, dto: UpdateProviderDto): Promise<ProviderDto> {
    this.checkTargets(dto);
    try {
      const row = await this.providers.update(id, {
        name: dto.name,
        baseUrl: dto.baseUrl === undefined ? undefined : normalizeBaseUrl(dto.baseUrl),
        ...(dto.auth ? this.sealAuth(id, dto.auth) : {}),
        timeoutMs: dto.timeoutMs,
        maxConcurrency: dto.maxConcurrency,
        status: dto.status,
      });
      return toProviderDto(row);
    } catch (err) {
      if (isWriteConflict(err, 'missing')) throw RegistryErrors.notFound('provider', id);
      throw err;
    }
  }

  /** Only a provider no dataset refers to; otherwise disable it (PATCH status). */
  async remove(id: string): Promise<void> {
    const datasets = await this.providers.countDatasets(id);
    if (datasets > 0) throw RegistryErrors.inUse('provider', id, `${datasets} dataset(s)`);
    try {
      await this.providers.delete(id);
    } catch (err) {
      if (isWriteConflict(err, 'missing')) throw RegistryErrors.notFound('provider', id);
      // A dataset registered between the count and the delete (FK ON DELETE RESTRICT).
      if (isWriteConflict(err, 'referenced'))
        throw RegistryErrors.inUse('provider', id, 'a dataset');
      throw err;
    }
  }

  /** Splits the authentication into its public configuration and its encrypted secret. */
  private sealAuth(providerId: string, auth: ProviderAuthInput) {
    const seal = (secret: string) =>
      encrypt(this.config.masterKey, secret, providerSecretContext(providerId));
    let authConfig: ProviderAuthConfig = {};
    let secretCiphertext: string | null = null;
    switch (auth.kind) {
      case 'none':
        break;
      case 'api_key':
        authConfig = { headerName: auth.headerName };
        secretCiphertext = seal(auth.secret);
        break;
      case 'bearer':
        secretCiphertext = seal(auth.token);
        break;
      case 'oauth2_client_credentials':
        authConfig = { tokenUrl: auth.tokenUrl, clientId: auth.clientId };
        if (auth.scope) authConfig.scope = auth.scope;
        secretCiphertext = seal(auth.clientSecret);
        break;
    }
    return {
      authKind: auth.kind,
      authConfig: authConfig as Prisma.InputJsonObject,
      secretCiphertext,
    };
  }
}

/** The only way a provider leaves this module over HTTP: the ciphertext is not even mapped. */
export function toProviderDto(row: Provider): ProviderDto {
  const config = (row.authConfig ?? {}) as ProviderAuthConfig;
  return {
    id: row.id,
    name: row.name,
    baseUrl: row.baseUrl,
    auth: {
      kind: row.authKind,
      ...(config.headerName ? { headerName: config.headerName } : {}),
      ...(config.tokenUrl ? { tokenUrl: config.tokenUrl } : {}),
      ...(config.clientId ? { clientId: config.clientId } : {}),
      ...(config.scope ? { scope: config.scope } : {}),
      secretSet: row.secretCiphertext !== null,
    },
    timeoutMs: row.timeoutMs,
    maxConcurrency: row.maxConcurrency,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
