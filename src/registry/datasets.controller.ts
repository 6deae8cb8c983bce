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
import { DatasetsService } from './datasets.service.js';
import {
  CreateDatasetDto,
  DatasetDto,
  DatasetListQueryDto,
  DatasetPageDto,
  UpdateDatasetDto,
} from './dto/dataset.dto.js';

@AdminApi()
@Controller('api/v1/admin/datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post()
  @AdminAction('dataset', 'create')
  @ApiOperation({
    summary: 'Register a dataset of an existing provider',
    description:
      'A dataset is one kind of proof a provider serves: its path, the identity parameters it needs, the JSON Schema every answer must match, and the French descriptions of its fields that citizens read (conventions: a description ending with `(en euros)` shows the value as an amount; one ending with `[F = femme ; M = homme]` explains codes).',
  })
  @ApiCreatedResponse({ type: DatasetDto })
  @ApiProblems(400, 409)
  create(@Body() body: CreateDatasetDto): Promise<DatasetDto> {
    return this.datasets.create(body);
  }

  @Get()
  @AdminAction('dataset', 'list')
  @ApiOperation({
    summary: 'List datasets (keyset pagination, oldest first)',
    description:
      'Registered datasets, oldest first, optionally of one provider or one status. Page with `cursor` = the previous page’s `nextCursor`.',
  })
  @ApiOkResponse({ type: DatasetPageDto })
  @ApiProblems(400)
  list(@Query() query: DatasetListQueryDto): Promise<DatasetPageDto> {
    return this.datasets.list(query);
  }

  @Get(':id')
  @AdminAction('dataset', 'read')
  @ApiOperation({
    summary: 'Read a dataset',
    description: 'One dataset by its id, with its response schema and field descriptions.',
  })
  @ApiParam({ name: 'id', description: 'Dataset id', example: 'cnaf.quotient_familial' })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(404)
  get(@Param('id') id: string): Promise<DatasetDto> {
    return this.datasets.get(id);
  }

  @Patch(':id')
  @AdminAction('dataset', 'update')
  @ApiOperation({
    summary: 'Change a dataset',
    description:
      'Only the fields given change. A new response schema applies to the next fetch; disabling a dataset refuses its fetches at once.',
  })
  @ApiParam({ name: 'id', description: 'Dataset id', example: 'cnaf.quotient_familial' })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404)
  update(@Param('id') id: string, @Body() body: UpdateDatasetDto): Promise<DatasetDto> {
    return this.datasets.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminAction('dataset', 'delete')
  @ApiOperation({
    summary: 'Delete a dataset nothing refers to (else 409: disable it instead)',
    description:
      'Deletion is refused (409) while a habilitation or a consent refers to the dataset. Disable it instead.',
  })
  @ApiParam({ name: 'id', description: 'Dataset id', example: 'cnaf.quotient_familial' })
  @ApiNoContentResponse()
  @ApiProblems(404, 409)
  remove(@Param('id') id: string): Promise<void> {
    return this.datasets.remove(id);
  }
}
