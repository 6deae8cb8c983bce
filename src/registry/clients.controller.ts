import { Body, Controller, Get, Header, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiProblems } from '../common/index.js';
import { AdminApi, AdminAction } from '../audit/index.js';
import { ClientsService } from './clients.service.js';
import {
  ClientDto,
  ClientListQueryDto,
  ClientPageDto,
  ClientSecretDto,
  CreateClientDto,
  CreatedClientDto,
  UpdateClientDto,
} from './dto/client.dto.js';

/** Clients are addressed by their public OAuth client_id. No DELETE: suspend instead. */
@AdminApi()
@Controller('api/v1/admin/clients')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Post()
  @Header('Cache-Control', 'no-store')
  @AdminAction('client', 'create')
  @ApiOperation({
    summary: 'Register a requesting service',
    description:
      'For client_secret_basic / client_secret_post, the answer carries `clientSecret` this once.',
  })
  @ApiCreatedResponse({ type: CreatedClientDto })
  @ApiProblems(400, 409)
  create(@Body() body: CreateClientDto): Promise<CreatedClientDto> {
    return this.clients.create(body);
  }

  @Get()
  @AdminAction('client', 'list')
  @ApiOperation({
    summary: 'List clients (keyset pagination, oldest first)',
    description:
      'Registered requesting services, oldest first, without their secrets. Page with `cursor` = the previous page’s `nextCursor`.',
  })
  @ApiOkResponse({ type: ClientPageDto })
  @ApiProblems(400)
  list(@Query() query: ClientListQueryDto): Promise<ClientPageDto> {
    return this.clients.list(query);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Read a client',
    description: 'One requesting service by its internal id, without its secret.',
  })
  @ApiParam({ name: 'id', description: 'Client’s internal id (uuid)' })
  @AdminAction('client', 'read')
  @ApiOkResponse({ type: ClientDto })
  @ApiProblems(404)
  get(@Param('id') clientId: string): Promise<ClientDto> {
    return this.clients.get(clientId);
  }

  @Patch(':id')
  @AdminAction('client', 'update')
  @ApiOperation({
    summary: 'Change a client; `status: "suspended"` takes effect at once',
    description:
      'Only the fields given change. A suspended client’s tokens and fetches are refused at its next request, on every instance.',
  })
  @ApiParam({ name: 'id', description: 'Client’s internal id (uuid)' })
  @ApiOkResponse({ type: ClientDto })
  @ApiProblems(400, 404)
  update(@Param('id') clientId: string, @Body() body: UpdateClientDto): Promise<ClientDto> {
    return this.clients.update(clientId, body);
  }

  @Post(':id/secret')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @AdminAction('client', 'rotate_secret')
  @ApiOperation({
    summary: 'Replace a client’s secret; the new one is shown this once',
    description:
      'The previous secret stops working at once. The new secret is in this answer only: it is stored hashed.',
  })
  @ApiParam({ name: 'id', description: 'Client’s internal id (uuid)' })
  @ApiOkResponse({ type: ClientSecretDto })
  @ApiProblems(404, 409)
  rotateSecret(@Param('id') clientId: string): Promise<ClientSecretDto> {
    return this.clients.rotateSecret(clientId);
  }
}
