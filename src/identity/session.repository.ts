import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';

/** The `session` table: sealed citizen sessions by id (PrismaSessionStore's storage). */
@Injectable()
export class SessionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Primary key lookup, expired or not (the store judges expiry). */
  find(sid: string): Promise<{ data: unknown; expiresAt: Date } | null> {
    return this.prisma.session.findUnique({
      where: { sid },
      select: { data: true, expiresAt: true },
    });
  }

  /** `sealed`: the session as SessionCipher sealed it (never stored in clear). */
  async save(sid: string, sealed: string, expiresAt: Date): Promise<void> {
    const data = { sealed };
    await this.prisma.session.upsert({
      where: { sid },
      create: { sid, data, expiresAt },
      update: { data, expiresAt },
    });
  }

  /** Moves the expiry only (one indexed UPDATE). */
  async touch(sid: string, expiresAt: Date): Promise<void> {
    await this.prisma.session.updateMany({ where: { sid }, data: { expiresAt } });
  }

  async delete(sid: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { sid } });
  }

  /** Deletes expired rows (uses the expires_at index); returns how many. */
  async deleteExpired(now: Date): Promise<number> {
    const { count } = await this.prisma.session.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }
}
