import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hashSecret, randomToken, assertOutboundTarget } from '../common/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { InvalidationBus } from '../events/index.js';
import type { Client, Prisma } from '../generated/prisma/client.js';
import {
  ClientDto,
  ClientListQueryDto,
  ClientPageDto,
  ClientSecretDto,
  CreateClientDto,
  CreatedClientDto,
  UpdateClientDto,
} from './dto/client.dto.js';
import { RegistryErrors } from './errors.js';
import { pageArgs, toPage } from './pagination.js';
import { ClientsRepository, type ClientChanges } from './clients.repository.js';
import { isWriteConflict } from './write-conflicts.repository.js';

const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);

/** 256 random bits, base64url: the client_secret handed out once. */
const newClientSecret = () => randomToken(32);

@Injectable()
export class ClientsService {
  constructor(
    private readonly clients: ClientsRepository,
    private readonly invalidation: InvalidationBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(dto: CreateClientDto): Promise<CreatedClientDto> {
    // SSRF: the gateway fetches the client's keys there.
    assertOutboundTarget('jwksUri', dto.jwksUri, this.config.outboundAllowList);
    const usesSecret = SECRET_METHODS.has(dto.authMethod);
    if (usesSecret) {
      if (dto.jwks !== undefined) throw RegistryErrors.authMethodMismatch('jwks', dto.authMethod);
      if (dto.jwksUri !== undefined)
        throw RegistryErrors.authMethodMismatch('jwksUri', dto.authMethod);
    } else {
      requireOneKeySource(dto.jwks, dto.jwksUri);
    }
    await this.checkFranceConnectClientId(dto.franceConnectClientId, null);
    const clientSecret = usesSecret ? newClientSecret() : undefined;
    const clientId = dto.clientId ?? randomUUID();
    try {
      const row = await this.clients.create({
        clientId,
        name: dto.name,
        siret: dto.siret,
        contactEmail: dto.contactEmail,
        redirectUris: dto.redirectUris,
        authMethod: dto.authMethod,
        secretHash: clientSecret ? await hashSecret(clientSecret) : null,
        jwks: (dto.jwks as Prisma.InputJsonObject | undefined) ?? undefined,
        jwksUri: dto.jwksUri ?? null,
        status: dto.status,
        franceConnectClientId: dto.franceConnectClientId ?? null,
      });
      return { ...toClientDto(row), ...(clientSecret ? { clientSecret } : {}) };
    } catch (err) {
      if (isWriteConflict(err, 'duplicate')) throw RegistryErrors.exists('client', clientId);
      throw err;
    }
  }

  async list(query: ClientListQueryDto): Promise<ClientPageDto> {
    const page = pageArgs(query);
    const rows = await this.clients.list(page, query.status);
    return toPage(rows, page.limit, toClientDto);
  }

  async get(clientId: string): Promise<ClientDto> {
    return toClientDto(await this.find(clientId));
  }

  async update(clientId: string, dto: UpdateClientDto): Promise<ClientDto> {
    assertOutboundTarget('jwksUri', dto.jwksUri, this.config.outboundAllowList);
    const current = await this.find(clientId);
    let keys: ClientChanges['keys'];
    if (dto.jwks !== undefined || dto.jwksUri !== undefined) {
      if (current.authMethod !== 'private_key_jwt') {
        throw RegistryErrors.authMethodMismatch(
          dto.jwks !== undefined ? 'jwks' : 'jwksUri',
          current.authMethod,
        );
      }
      requireOneKeySource(dto.jwks, dto.jwksUri);
      // One source of keys at a time: setting one clears the other.
      keys = {
        jwks: (dto.jwks as Prisma.InputJsonObject | undefined) ?? null,
        jwksUri: dto.jwksUri ?? null,
      };
    }
    await this.checkFranceConnectClientId(dto.franceConnectClientId, current.id);
    let row: Client;
    try {
      row = await this.clients.update(clientId, {
        name: dto.name,
        siret: dto.siret,
        contactEmail: dto.contactEmail,
        redirectUris: dto.redirectUris,
        status: dto.status,
        franceConnectClientId: dto.franceConnectClientId,
        keys,
      });
    } catch (err) {
      if (isWriteConflict(err, 'missing')) throw RegistryErrors.notFound('client', clientId);
      throw err;
    }
    // Suspension (and any change of keys or redirect URIs) must bite on the very next request.
    await this.clientChanged(clientId);
    return toClientDto(row);
  }

  /** A new secret, shown once; the previous one stops working at once. */
  async rotateSecret(clientId: string): Promise<ClientSecretDto> {
    const current = await this.find(clientId);
    if (!SECRET_METHODS.has(current.authMethod)) throw RegistryErrors.noSecretForMethod(clientId);
    const clientSecret = newClientSecret();
    await this.clients.update(clientId, { secretHash: await hashSecret(clientSecret) });
    await this.clientChanged(clientId);
    return { clientId, clientSecret };
  }

  /** One registered client per FranceConnect client_id (the unique index is the last word). */
  private async checkFranceConnectClientId(
    fcClientId: string | null | undefined,
    selfId: string | null,
  ): Promise<void> {
    if (!fcClientId) return;
    const other = await this.clients.idByFranceConnectClientId(fcClientId);
    if (other && other !== selfId) {
      throw RegistryErrors.invalidField(
        'franceConnectClientId',
        'franceConnectClientId is already registered for another client',
      );
    }
  }

  private async find(clientId: string): Promise<Client> {
    const row = await this.clients.find(clientId);
    if (!row) throw RegistryErrors.notFound('client', clientId);
    return row;
  }

  /**
   * The OAuth bearer guard caches client status: the bus delivers the event to this instance's
   * subscribers at once (oauth's ClientStatusInvalidation drops the entry, so a suspended
   * client's unexpired tokens stop working on the very next request), then tells the other
   * instances, and resolves once the message is on its way to them.
   */
  private async clientChanged(clientId: string): Promise<void> {
    await this.invalidation.publish({ kind: 'client', clientId });
  }
}

function requireOneKeySource(jwks: unknown, jwksUri: unknown): void {
  if (jwks !== undefined && jwksUri !== undefined) {
    throw RegistryErrors.invalidField('jwks', 'give either jwks or jwksUri, not both');
  }
  if (jwks === undefined && jwksUri === undefined) {
    throw RegistryErrors.invalidField('jwks', 'private_key_jwt needs jwks or jwksUri');
  }
}

/** The secret's hash is not mapped: it never leaves the database. */
export function toClientDto(row: Client): ClientDto {
  return {
    id: row.id,
    clientId: row.clientId,
    name: row.name,
    siret: row.siret,
    contactEmail: row.contactEmail,
    redirectUris: row.redirectUris,
    authMethod: row.authMethod,
    jwks: row.jwks ?? null,
    jwksUri: row.jwksUri,
    franceConnectClientId: row.franceConnectClientId,
    secretSet: row.secretHash !== null,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
