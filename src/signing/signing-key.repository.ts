/**
 * The signing_key table's queries (issue 13: a module's tables are reached through its
 * repositories). SigningKeyService keeps the rules (which key signs, which verify, when to
 * reload); this file keeps the locking that makes creation and rotation safe across instances.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/index.js';
import type { Prisma, SigningKey } from '../generated/prisma/client.js';

/** A new key as the service generates it (its private half already sealed). */
export interface NewSigningKey {
  kid: string;
  alg: string;
  publicJwk: Prisma.InputJsonObject;
  privateJwkCiphertext: string;
}

/** Advisory lock id serializing key creation and rotation across instances ("sigk"). */
const SIGNING_KEY_LOCK = 0x7369676b;

@Injectable()
export class SigningKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores a key from `generate` as active when none is active, and returns its kid (null when
   * one was already active). Several instances may start together on an empty database: the
   * advisory lock makes the second one see the first one's key.
   */
  createIfNoneActive(generate: () => Promise<NewSigningKey>): Promise<string | null> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`);
      const active = await tx.signingKey.findFirst({ where: { status: 'active' } });
      if (active) return null;
      const key = await generate();
      await tx.signingKey.create({ data: { ...key, status: 'active', activatedAt: new Date() } });
      return key.kid;
    });
  }

  /** Makes a key from `generate` active and the previous active key (if any) `retiring`. */
  rotate(
    generate: () => Promise<NewSigningKey>,
  ): Promise<{ kid: string; previousKid: string | null }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`);
      const previous = await tx.signingKey.findFirst({ where: { status: 'active' } });
      const key = await generate();
      if (previous) {
        await tx.signingKey.update({ where: { kid: previous.kid }, data: { status: 'retiring' } });
      }
      await tx.signingKey.create({ data: { ...key, status: 'active', activatedAt: new Date() } });
      return { kid: key.kid, previousKid: previous?.kid ?? null };
    });
  }

  /** Retires `kid` if it is retiring; false when it is not (unknown, active or already retired). */
  async retireIfRetiring(kid: string): Promise<boolean> {
    const { count } = await this.prisma.signingKey.updateMany({
      where: { kid, status: 'retiring' },
      data: { status: 'retired', retiredAt: new Date() },
    });
    return count === 1;
  }

  /** The published keys (active and retiring), oldest first. */
  listPublished(): Promise<SigningKey[]> {
    return this.prisma.signingKey.findMany({
      where: { status: { in: ['active', 'retiring'] } },
      orderBy: { createdAt: 'asc' },
    });
  }
}
