import {
  Body,
  Controller,
  Get,
  Param,
  Post,
  Query,
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
  citizenOf,
  csrfToken,
  type CitizenPrincipal,
} from '../identity/index.js';
import { CitizenPageFilter } from './citizen-page.filter.js';
import { FormCsrfGuard } from './csrf.guard.js';
import { RevokeFormDto } from './dto/decision.dto.js';
import { ConsentIdPipe, sendHtml } from './http.js';
import { MeService } from './me.service.js';
import { accessProofColumn, mePage } from './pages/me.page.js';
import { welcomePage } from './pages/welcome.page.js';

/**
 * The citizen's home (HTML): consents, revocation, access log. Without a session, `/me` is a
 * landing page with FranceConnect's button (no silent jump to FranceConnect).
 */
@ApiExcludeController()
@Controller('me')
@UseFilters(CitizenPageFilter)
export class MeController {
  constructor(private readonly me: MeService) {}

  /**
   * `avant`: cursor of the access log's older page; `revoque`: the consent just revoked (the
   * confirmation shows only if it is indeed one of this citizen's revoked consents).
   */
  @Get()
  async home(
    @Query('avant') before: unknown,
    @Query('revoque') revoked: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const citizen = citizenOf(req);
    if (!citizen) {
      sendHtml(res, welcomePage(`/auth/login?returnTo=${encodeURIComponent('/me')}`));
      return;
    }
    const view = await this.me.home(citizen.citizenId, {
      before: typeof before === 'string' ? before : undefined,
      revokedId: typeof revoked === 'string' ? revoked : undefined,
    });
    sendHtml(res, mePage({ ...view, csrf: csrfToken(req), accessColumns: [accessProofColumn] }));
  }

  @Post('consents/:consentId/revoke')
  @UseGuards(CitizenSessionGuard, FormCsrfGuard)
  async revoke(
    @Param('consentId', ConsentIdPipe) consentId: string,
    @Body() _body: RevokeFormDto,
    @CurrentCitizen() citizen: CitizenPrincipal,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.me.revoke(consentId, citizen.citizenId, req.id);
    res
      .set('Cache-Control', 'no-store')
      .redirect(303, `/me?revoque=${encodeURIComponent(consentId)}`);
  }
}
