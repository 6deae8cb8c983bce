import {
  Body,
  Controller,
  Get,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  CitizenSessionGuard,
  CurrentCitizen,
  csrfToken,
  type CitizenPrincipal,
} from '../identity/index.js';
import { CitizenPageFilter } from './citizen-page.filter.js';
import { ConsentPagesService } from './consent-pages.service.js';
import { allowFormActionTo } from './csp.js';
import { FormCsrfGuard } from './csrf.guard.js';
import { DecisionFormDto } from './dto/decision.dto.js';
import { RequestIdPipe, sendHtml } from './http.js';
import { consentPage } from './pages/consent.page.js';
import { previewPage } from './pages/preview.page.js';

/**
 * The citizen's decision on a consent request (HTML, French; not part of the API document).
 * Without a session, the guard sends the browser through FranceConnect and back here.
 */
@ApiExcludeController()
@Controller('consent')
@UseGuards(CitizenSessionGuard)
@UseFilters(CitizenPageFilter)
export class ConsentPageController {
  constructor(private readonly pages: ConsentPagesService) {}

  @Get(':requestId')
  async show(
    @Param('requestId', RequestIdPipe) requestId: string,
    @CurrentCitizen() citizen: CitizenPrincipal,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const { request, redirectUri } = await this.pages.pendingRequest(requestId, citizen, req.id);
    allowFormActionTo(res, redirectUri);
    sendHtml(res, consentPage({ request, csrf: csrfToken(req) }));
  }

  /** CSRF first (guard), then the body's validation, then the consent service decides once. */
  @Post(':requestId/decision')
  @UseGuards(FormCsrfGuard)
  async decide(
    @Param('requestId', RequestIdPipe) requestId: string,
    @Body() body: DecisionFormDto,
    @CurrentCitizen() citizen: CitizenPrincipal,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const redirectUrl = await this.pages.decide(requestId, citizen, body.decision, req.id);
    res.set('Cache-Control', 'no-store').redirect(303, redirectUrl);
  }

  @Get(':requestId/preview')
  async preview(
    @Param('requestId', RequestIdPipe) requestId: string,
    @CurrentCitizen() citizen: CitizenPrincipal,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    sendHtml(res, previewPage(await this.pages.preview(requestId, citizen, req.id)));
  }
}
