import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';

/** The citizen table: a pairwise FranceConnect `sub` and an id, nothing else about the person. */
@Injectable()
export class CitizenRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The citizen's id for this `sub`, created if new; `loginAt` records a login. One
   * INSERT … ON CONFLICT (sub) statement: safe under concurrent first logins.
   */
  async upsertBySub(sub: string, loginAt?: Date): Promise<string> {
    const citizen = await this.prisma.citizen.upsert({
      where: { sub },
      create: loginAt ? { sub, lastLoginAt: loginAt } : { sub },
      update: loginAt ? { lastLoginAt: loginAt } : {},
      select: { id: true },
    });
    return citizen.id;
  }
}
