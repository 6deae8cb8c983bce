import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

const MAX_SIZE = Number.MAX_SAFE_INTEGER;

export class CheckpointDto {
  @ApiProperty({ example: 1042, description: 'Number of audit events (leaves) the tree covers' })
  treeSize: number;
  @ApiProperty({ description: 'RFC 9162 Merkle tree hash of those leaves, hex' })
  rootHash: string;
  @ApiProperty({ example: '2026-12-01T10:00:00.000Z' })
  issuedAt: string;
  @ApiProperty({
    description:
      'Compact JWS (ES256, `kid` of /.well-known/jwks.json, `typ: checkpoint+jwt`) over `{iss, iat, tree_size, root_hash, timestamp}`',
  })
  jws: string;
}

export class CheckpointListDto {
  @ApiProperty({ type: [CheckpointDto] })
  items: CheckpointDto[];
}

export class CheckpointsQueryDto {
  @ApiProperty({ required: false, description: 'Smallest tree size to list', default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_SIZE)
  from?: number;

  @ApiProperty({
    required: false,
    default: 100,
    maximum: 1000,
    description: 'Most checkpoints to list',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class InclusionQueryDto {
  @ApiProperty({ description: 'Audit event id (a fetch answer names it in provenance)' })
  @IsUUID()
  eventId: string;

  @ApiProperty({ required: false, description: 'Tree size of a checkpoint; default: the latest' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  treeSize?: number;
}

export class InclusionProofDto {
  @ApiProperty()
  eventId: string;
  @ApiProperty({ description: 'Position of the event in the tree (0-based)' })
  leafIndex: number;
  @ApiProperty()
  treeSize: number;
  @ApiProperty({ description: 'SHA-256(0x00 ‖ canonical event), hex' })
  leafHash: string;
  @ApiProperty({ type: [String], description: 'RFC 9162 §2.1.3 audit path, hex, bottom-up' })
  proof: string[];
}

export class ConsistencyQueryDto {
  @ApiProperty({ description: 'The smaller tree size (a checkpoint held earlier)' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  from: number;

  @ApiProperty({ description: 'The larger tree size (e.g. the latest checkpoint)' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  to: number;
}

export class ConsistencyProofDto {
  @ApiProperty()
  from: number;
  @ApiProperty()
  to: number;
  @ApiProperty({ type: [String], description: 'RFC 9162 §2.1.4 consistency proof, hex' })
  proof: string[];
}
