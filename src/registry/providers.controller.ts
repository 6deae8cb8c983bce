import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { ApiProblems } from '../common/index.js';
import { AdminApi, AdminAction } from '../audit/index.js';
import {
  CreateProviderDto,
  ProviderDto,
  ProviderListQueryDto,
  ProviderPageDto,
  UpdateProviderDto,
} from './dto/provider.dto.js';
import { ProvidersService } from './providers.service.js';

@AdminApi()
@Controller('api/v1/admin/providers')
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  @Post()
  @AdminAction('provider', 'create')
  @ApiOperation({
    summary: 'Register a data provider (its secret is encrypted, never returned)',
    description:
      'A data provider is an administration’s HTTP API (base URL, authentication, timeout, concurrency cap). Its credentials are encrypted with AES-256-GCM under MASTER_KEY and never returned by any call.',
  })
  @ApiCreatedResponse({ type: ProviderDto })
  @ApiProblems(400, 409)
  create(@Body() body: CreateProviderDto): Promise<ProviderDto> {
    return this.providers.create(body);
  }

  @Get()
  @AdminAction('provider', 'list')
  @ApiOperation({
    summary: 'List providers (keyset pagination, oldest first)',
    description:
      'Registered providers, oldest first, without their secrets. Page with `cursor` = the previous page’s `nextCursor`.',
  })
  @ApiOkResponse({ type: ProviderPageDto })
  @ApiProblems(400)
  list(@Query() query: ProviderListQueryDto): Promise<ProviderPageDto> {
    return this.providers.list(query);
  }

  @Get(':id')
  @AdminAction('provider', 'read')
  @ApiOperation({
    summary: 'Read a provider',
    description: 'One provider by its id, without its secret.',
  })
  @ApiParam({ name: 'id', description: 'Provider id', example: 'cnaf' })
  @ApiOkResponse({ type: ProviderDto })
  @ApiProblems(404)
  get(@Param('id') id: string): Promise<ProviderDto> {
    return this.providers.get(id);
  }

  @Patch(':id')
  @AdminAction('provider', 'update')
  @ApiOperation({
    summary: 'Change a provider; `auth`, when given, replaces the whole authentication',
    description:
      'Only the fields given change. Disabling a provider (`status: "disabled"`) makes its datasets answer 503 `provider_disabled` at once.',
  })
  @ApiParam({ name: 'id', description: 'Provider id', example: 'cnaf' })
  @ApiOkResponse({ type: ProviderDto })
  @ApiProblems(400, 404)
  update(@Param('id') id: string, @Body() body: UpdateProviderDto): Promise<ProviderDto> {
    return this.providers.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminAction('provider', 'delete')
  @ApiOperation({
    summary: 'Delete a provider no dataset refers to (else 409: disable it instead)',
    description:
      'Deletion is refused (409) while a dataset refers to the provider: the audit log must keep naming it. Disable it instead.',
  })
  @ApiParam({ name: 'id', description: 'Provider id', example: 'cnaf' })
  @ApiNoContentResponse()
  @ApiProblems(404, 409)
  remove(@Param('id') id: string): Promise<void> {
    return this.providers.remove(id);
  }
}
