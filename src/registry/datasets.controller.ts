import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { ApiProblems } from '../common/api-problems.decorator.js';
import { AdminApi } from './admin-api.decorator.js';
import { AdminAction } from './admin-audit.interceptor.js';
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
  @ApiOperation({ summary: 'Register a dataset of an existing provider' })
  @ApiCreatedResponse({ type: DatasetDto })
  @ApiProblems(400, 409)
  create(@Body() body: CreateDatasetDto): Promise<DatasetDto> {
    return this.datasets.create(body);
  }

  @Get()
  @AdminAction('dataset', 'list')
  @ApiOperation({ summary: 'List datasets (keyset pagination, oldest first)' })
  @ApiOkResponse({ type: DatasetPageDto })
  @ApiProblems(400)
  list(@Query() query: DatasetListQueryDto): Promise<DatasetPageDto> {
    return this.datasets.list(query);
  }

  @Get(':id')
  @AdminAction('dataset', 'read')
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(404)
  get(@Param('id') id: string): Promise<DatasetDto> {
    return this.datasets.get(id);
  }

  @Patch(':id')
  @AdminAction('dataset', 'update')
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404)
  update(@Param('id') id: string, @Body() body: UpdateDatasetDto): Promise<DatasetDto> {
    return this.datasets.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminAction('dataset', 'delete')
  @ApiOperation({ summary: 'Delete a dataset nothing refers to (else 409: disable it instead)' })
  @ApiNoContentResponse()
  @ApiProblems(404, 409)
  remove(@Param('id') id: string): Promise<void> {
    return this.datasets.remove(id);
  }
}
