/**
 * Builds the HTTP application: one place that says which middleware runs, in which order.
 * Used by main.ts, the demo launcher, the benchmark and the end-to-end tests alike.
 */
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import helmet from 'helmet';
import { Logger, PinoLogger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { type AppConfig, requestLogging } from './config/index.js';
import {
  refuseDeepJson,
  refuseForbiddenCharacters,
  requestIdMiddleware,
  buildOpenApiDocument,
} from './common/index.js';
import { DrainService, MetricsService } from './health/index.js';
import { refuseMalformedPagePath } from './citizen/index.js';
import { mountDsfrAssets } from './page-shell/index.js';
import { tokenEndpointBodyErrors } from './oauth/index.js';
import { CITIZEN_SESSION_PATHS, CitizenSessionMiddleware } from './identity/index.js';

export interface CreateAppOptions {
  logDestination?: DestinationStream;
}

export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, logDestination: options.logDestination }),
    { bodyParser: false, bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // No ETag (Express computes an unkeyed SHA-1 of every answer's body by default): answers that
  // carry a citizen's data are `no-store`, so there is nothing to revalidate, and a plain digest
  // of them in a header would let whoever logs headers confirm a guessed answer, which the audit
  // log's payload digest is keyed to prevent. It also costs a hash per answer.
  app.set('etag', false);

  // First: a graceful stop waits for every request counted here (src/server.ts).
  app.use(app.get(DrainService).middleware);
  app.use(requestIdMiddleware);
  // Outside any request, PinoLogger's logger is the application's root logger.
  app.use(requestLogging((await app.resolve(PinoLogger)).logger));
  app.use(app.get(MetricsService).middleware);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Consent decisions redirect to the requesting service: browsers apply form-action
          // to that redirect too. Pages that need it set their own header.
          // The logout form's answer redirects to FranceConnect's end-session endpoint.
          'form-action': ["'self'", new URL(config.franceConnect.issuer).origin],
          'img-src': ["'self'", 'data:'],
          // Demo mode runs on plain http://localhost: do not make browsers upgrade it.
          'upgrade-insecure-requests': config.publicUrl.startsWith('https:') ? [] : null,
        },
      },
      strictTransportSecurity: config.publicUrl.startsWith('https:'),
      crossOriginEmbedderPolicy: false,
    }),
  );
  // CORS is closed unless origins are configured: the API is for servers and our own pages.
  if (config.corsOrigins.length > 0) {
    app.enableCors({ origin: config.corsOrigins, credentials: false, maxAge: 600 });
  }
  app.use(express.json({ limit: config.bodyLimit, strict: true, verify: refuseDeepJson }));
  app.use(express.urlencoded({ extended: false, limit: config.bodyLimit, parameterLimit: 100 }));
  // Refusals before any route, in the shape of the routes concerned: RFC 6749 errors on the
  // token endpoint, French HTML on the citizen pages.
  app.use('/oauth/token', tokenEndpointBodyErrors);
  app.use(['/consent', '/me', '/auth'], refuseMalformedPagePath);
  // No control or invisible formatting character reaches the API's validation or database.
  app.use('/api', refuseForbiddenCharacters);
  // DSFR assets for the citizen pages, from our own origin; citizen sessions only where a
  // citizen browses (the client API stays cookie-free).
  mountDsfrAssets(app);
  app.use(CITIZEN_SESSION_PATHS, app.get(CitizenSessionMiddleware).handle);

  const document = buildOpenApiDocument(app, config.publicUrl);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Passerelle — API',
  });

  await app.init();
  // After init: nestjs-pino binds its logger to this app's destination there.
  if (config.allowHttpBehindTlsProxy) {
    new NestLogger('Security').warn(
      'ALLOW_HTTP_BEHIND_TLS_PROXY=true: PUBLIC_URL or FC_ISSUER may be plain http; session cookies ' +
        'lose their Secure flag and there is no HSTS unless the TLS proxy in front adds them',
    );
  }
  return app;
}
