import { Body, Controller, Get, Module, Post, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Max, MinLength } from 'class-validator';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { ProblemFilter } from './problem.filter.js';
import { ApiError, VALIDATION_OPTIONS } from './problem.js';
import { requestIdMiddleware } from './request-id.js';

class SampleDto {
  @IsString()
  @MinLength(3)
  name: string;
  @IsInt()
  @Max(365)
  durationDays: number;
}

@Controller('sample')
class SampleController {
  @Post()
  create(@Body() body: SampleDto) {
    return body;
  }
  @Get('boom')
  boom() {
    throw new Error('db password=hunter2 at /srv/app/secret.ts:12');
  }
  @Get('typed')
  typed() {
    throw new ApiError(
      409,
      'consent_already_decided',
      'Already decided',
      'This request was already decided.',
    );
  }
}

@Module({
  controllers: [SampleController],
  providers: [
    { provide: APP_FILTER, useClass: ProblemFilter },
    { provide: APP_PIPE, useValue: new ValidationPipe(VALIDATION_OPTIONS) },
  ],
})
class SampleModule {}

describe('ProblemFilter and the global validation pipe', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const ref = await Test.createTestingModule({ imports: [SampleModule] }).compile();
    app = ref.createNestApplication({ logger: false });
    app.use(requestIdMiddleware);
    await app.init();
  });
  afterAll(() => app.close());

  it('lists every offending field, including unknown ones, as problem+json', async () => {
    const res = await request(app.getHttpServer())
      .post('/sample')
      .send({ name: 'ab', durationDays: 'ten', admin: true });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['admin', 'durationDays', 'name']);
  });

  it('never leaks an internal message or stack', async () => {
    const res = await request(app.getHttpServer()).get('/sample/boom');
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('internal_error');
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|secret\.ts|at /);
  });

  it('keeps the stable code of typed errors', async () => {
    const res = await request(app.getHttpServer()).get('/sample/typed');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: 'consent_already_decided',
      detail: 'This request was already decided.',
    });
    expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
