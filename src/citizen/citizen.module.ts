import { Module } from '@nestjs/common';
import { ConsentModule } from '../consent/index.js';
import { ExchangeModule } from '../exchange/index.js';
import { IdentityModule } from '../identity/index.js';
import { RegistryModule } from '../registry/index.js';
import { AccessLogService } from './access-log.service.js';
import { ConsentPageController } from './consent-page.controller.js';
import { ConsentPagesService } from './consent-pages.service.js';
import { InfoPagesController } from './info-pages.controller.js';
import { MeApiController } from './me-api.controller.js';
import { MeController } from './me.controller.js';
import { MeService } from './me.service.js';

/**
 * What the citizen sees and does: the consent page with its decision and preview, `/me` (their
 * consents, revocation, who accessed their data) and its JSON twin under `/api/v1/me`. The
 * rules of consent live in the consent module (CONSENT_SERVICE); this module is their face.
 */
@Module({
  imports: [ConsentModule, ExchangeModule, IdentityModule, RegistryModule],
  controllers: [ConsentPageController, MeController, MeApiController, InfoPagesController],
  providers: [ConsentPagesService, MeService, AccessLogService],
})
export class CitizenModule {}
