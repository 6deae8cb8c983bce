import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiProblems } from '../common/index.js';
import { AdminApi, AdminAction } from '../audit/index.js';
import {
  CreateHabilitationDto,
  HabilitationDto,
  HabilitationListQueryDto,
  HabilitationPageDto,
  UpdateHabilitationDto,
} from './dto/habilitation.dto.js';
import { RegistryErrors } from './errors.js';
import { HabilitationsService } from './habilitations.service.js';

/** An id that is not a UUID names no habilitation: 404, like any unknown id. */
const HabilitationId = new ParseUUIDPipe({
  exceptionFactory: () => RegistryErrors.notFound('habilitation'),
});

/** No DELETE: revoke (PATCH status) instead; revocation is final. */
@AdminApi()
@Controller('api/v1/admin/habilitations')
export class HabilitationsController {
  constructor(private readonly habilitations: HabilitationsService) {}

  @Post()
  @AdminAction('habilitation', 'create')
  @ApiOperation({
    summary: 'Grant a client the right to ask for datasets, for a purpose, on a legal basis',
    description:
      'The habilitation’s purpose and legal basis are what citizens read as the legal frame of every request made under it; a request’s own purpose is the specific case within it. Consents may last at most `maxDurationDays`.',
  })
  @ApiCreatedResponse({ type: HabilitationDto })
  @ApiProblems(400)
  create(@Body() body: CreateHabilitationDto): Promise<HabilitationDto> {
    return this.habilitations.create(body);
  }

  @Get()
  @AdminAction('habilitation', 'list')
  @ApiOperation({
    summary: 'List habilitations (keyset pagination, oldest first)',
    description:
      'Habilitations, oldest first. Page with `cursor` = the previous page’s `nextCursor`.',
  })
  @ApiOkResponse({ type: HabilitationPageDto })
  @ApiProblems(400)
  list(@Query() query: HabilitationListQueryDto): Promise<HabilitationPageDto> {
    return this.habilitations.list(query);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Read a habilitation',
    description:
      'One habilitation by its id: client, datasets, purpose, legal basis, maximum duration, validity.',
  })
  @ApiParam({ name: 'id', description: 'Habilitation id (uuid)' })
  @AdminAction('habilitation', 'read')
  @ApiOkResponse({ type: HabilitationDto })
  @ApiProblems(404)
  get(@Param('id', HabilitationId) id: string): Promise<HabilitationDto> {
    return this.habilitations.get(id);
  }

  @Patch(':id')
  @AdminAction('habilitation', 'update')
  @ApiOperation({
    summary: 'Amend or revoke a habilitation',
    description:
      '`status: "revoked"` stops every fetch under it at once and is final (later changes: 409).',
  })
  @ApiParam({ name: 'id', description: 'Habilitation id (uuid)' })
  @ApiOkResponse({ type: HabilitationDto })
  @ApiProblems(400, 404, 409)
  update(
    @Param('id', HabilitationId) id: string,
    @Body() body: UpdateHabilitationDto,
  ): Promise<HabilitationDto> {
    return this.habilitations.update(id, body);
  }
}
