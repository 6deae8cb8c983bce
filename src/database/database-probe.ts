import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

/** Readiness's question to the database, without handing PrismaService to the health module. */
@Injectable()
export class DatabaseProbe {
  constructor(private readonly prisma: PrismaService) {}

  /** Whether the database answers a trivial query, and whether it is the embedded one. */
  async check(): Promise<{ up: boolean; embedded: boolean }> {
    try {
      await this.prisma.$queryRawUnsafe('SELECT 1');
      return { up: true, embedded: this.prisma.embedded };
    } catch {
      return { up: false, embedded: this.prisma.embedded };
    }
  }
}
