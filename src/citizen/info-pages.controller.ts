import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { citizenOf } from '../identity/index.js';
import { CitizenPageFilter } from './citizen-page.filter.js';
import { infoPage, type InfoPageId } from './pages/info.page.js';

/** The DSFR footer's mandatory pages, public (no session needed), the same for everyone. */
@ApiExcludeController()
@Controller()
@UseFilters(CitizenPageFilter)
export class InfoPagesController {
  private send(id: InfoPageId, req: Request, res: Response): void {
    res
      .status(200)
      .set('Cache-Control', 'no-cache')
      .type('html')
      .send(infoPage(id, citizenOf(req) !== null));
  }

  @Get('mentions-legales')
  legalNotice(@Req() req: Request, @Res() res: Response): void {
    this.send('mentions-legales', req, res);
  }

  @Get('donnees-personnelles')
  personalData(@Req() req: Request, @Res() res: Response): void {
    this.send('donnees-personnelles', req, res);
  }

  @Get('cookies')
  cookies(@Req() req: Request, @Res() res: Response): void {
    this.send('cookies', req, res);
  }

  @Get('accessibilite')
  accessibility(@Req() req: Request, @Res() res: Response): void {
    this.send('accessibilite', req, res);
  }
}
