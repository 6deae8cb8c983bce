import {
  Body,
  Controller,
  Get,
  Module,
  Post,
  ValidationPipe,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Max, MinLength } from 'class-validator';
import request from 'supertest';
import { type Problem, PROBLEM_HTML_PAGE, ProblemFilter } from './problem.filter.js';
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

  it('says a missing field is required, once, instead of every rule it also breaks', async () => {
    const res = await request(app.getHttpServer()).post('/sample').send({ durationDays: 400 });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'name', messages: ['name is required'] },
      { field: 'durationDays', messages: ['durationDays must not be greater than 365'] },
    ]);
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

@Module({
  controllers: [SampleController],
  providers: [
    { provide: APP_FILTER, useClass: ProblemFilter },
    {
      provide: PROBLEM_HTML_PAGE,
      useValue: (p: Problem) => `<!DOCTYPE html><h1>Erreur ${p.status}</h1><p>${p.code}</p>`,
    },
  ],
})
class PagesModule {}

describe('ProblemFilter for a person’s browser', () => {
  let app: INestApplication;
  const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  beforeAll(async () => {
    const ref = await Test.createTestingModule({ imports: [PagesModule] }).compile();
    app = ref.createNestApplication({ logger: false });
    app.use(requestIdMiddleware);
    await app.init();
  });
  afterAll(() => app.close());

  it('answers a page to a browser on a wrong URL, problem+json to anything else', async () => {
    const page = await request(app.getHttpServer()).get('/nulle-part').set('Accept', BROWSER);
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<h1>Erreur 404</h1>');
    expect(page.headers.vary).toMatch(/Accept/);
    for (const accept of ['*/*', 'application/json', 'application/problem+json']) {
      const res = await request(app.getHttpServer()).get('/nulle-part').set('Accept', accept);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers.vary).toMatch(/Accept/);
    }
    const none = await request(app.getHttpServer()).get('/nulle-part');
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('keeps problem+json on the APIs and for non-GET requests, whatever Accept says', async () => {
    for (const path of ['/api/v1/nowhere', '/oauth/nowhere', '/.well-known/nowhere', '/health/x']) {
      const res = await request(app.getHttpServer()).get(path).set('Accept', BROWSER);
      expect([path, res.headers['content-type']]).toEqual([
        path,
        expect.stringMatching(/^application\/problem\+json/),
      ]);
    }
    const post = await request(app.getHttpServer()).post('/nulle-part').set('Accept', BROWSER);
    expect(post.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('shows a 500 as a page without leaking the internal message', async () => {
    const res = await request(app.getHttpServer()).get('/sample/boom').set('Accept', BROWSER);
    expect(res.status).toBe(500);
    expect(res.text).toContain('internal_error');
    expect(res.text).not.toMatch(/hunter2|secret\.ts/);
  });
});
