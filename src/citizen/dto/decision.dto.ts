import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import type { ConsentDecision } from '../../consent/index.js';

/** The consent page's form (application/x-www-form-urlencoded). */
export class DecisionFormDto {
  @ApiProperty({ enum: ['approve', 'deny'] })
  @IsIn(['approve', 'deny'])
  decision: ConsentDecision;

  /** Checked before validation by FormCsrfGuard; declared so the whitelist keeps it. */
  @ApiProperty({ description: 'The session’s CSRF token (hidden field)' })
  @IsString()
  @MaxLength(200)
  csrf: string;
}

/** A revoke button's form at /me. */
export class RevokeFormDto {
  @ApiProperty({ description: 'The session’s CSRF token (hidden field)' })
  @IsString()
  @MaxLength(200)
  csrf: string;
}
