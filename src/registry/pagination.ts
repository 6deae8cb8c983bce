/**
 * Keyset pagination on (createdAt, id): stable while rows are added, no OFFSET scan. The cursor
 * is opaque to clients (base64url JSON of the last row's key) and checked when read back.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { RegistryErrors } from './errors.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export class PageQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_LIMIT,
    default: DEFAULT_LIMIT,
    description: 'Items per page',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page’s `nextCursor`' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  cursor?: string;
}

export interface PageKey {
  createdAt: Date;
  id: string;
}

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.createdAt.toISOString(), key.id])).toString('base64url');
}

export function decodeCursor(cursor: string): PageKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [at, id] = parsed;
      const createdAt = new Date(at);
      if (
        typeof at === 'string' &&
        typeof id === 'string' &&
        id.length <= 200 &&
        !isNaN(createdAt.getTime())
      ) {
        return { createdAt, id };
      }
    }
  } catch {
    // fall through
  }
  throw RegistryErrors.invalidCursor();
}

/** The Prisma `where` and `orderBy` of one page; fetch `take` = limit + 1 to know if more follow. */
export function pageArgs(query: PageQueryDto) {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  return {
    limit,
    where: after
      ? {
          OR: [
            { createdAt: { gt: after.createdAt } },
            { createdAt: after.createdAt, id: { gt: after.id } },
          ],
        }
      : {},
    orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }],
    take: limit + 1,
  };
}

/** Cuts the extra row fetched by `pageArgs` and makes the next cursor from the last item kept. */
export function toPage<R extends PageKey, T>(rows: R[], limit: number, map: (row: R) => T) {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return {
    items: kept.map(map),
    nextCursor: more ? encodeCursor(kept[kept.length - 1]) : null,
  };
}

export class PageDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor: string | null;
}
