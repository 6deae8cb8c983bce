import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';

/** The used_assertion table: client assertion ids already accepted (RFC 7523 replay check). */
@Injectable()
export class UsedAssertionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Records `key` once: the primary key does the check atomically across instances
   * (INSERT … ON CONFLICT DO NOTHING inserts 0 rows for a replay). True when it was new.
   */
  async recordOnce(key: string, clientId: string, expiresAt: Date): Promise<boolean> {
    const inserted = await this.prisma.$executeRaw`
      INSERT INTO used_assertion (jti, client_id, expires_at) VALUES (${key}, ${clientId}, ${expiresAt})
      ON CONFLICT (jti) DO NOTHING`;
    return inserted === 1;
  }

  /** Deletes the rows of assertions expired before `now`; returns how many. */
  async purgeExpired(now: Date): Promise<number> {
    const { count } = await this.prisma.usedAssertion.deleteMany({
      where: { expiresAt: { lt: now } },
    });
    return count;
  }
}
