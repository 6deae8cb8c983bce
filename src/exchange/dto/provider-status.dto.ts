import { ApiProperty } from '@nestjs/swagger';

export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;

export class LastMinuteDto {
  @ApiProperty({ example: 120, description: 'Calls that reached the provider in the last 60 s' })
  calls: number;
  @ApiProperty({ example: 3, description: 'Of which failed (5xx, timeout, malformed answer…)' })
  errors: number;
  @ApiProperty({
    example: 0,
    description: 'Calls refused without reaching it (circuit open, busy)',
  })
  rejected: number;
  @ApiProperty({ example: 0.025, description: 'errors / calls, 0 when there were no calls' })
  errorRate: number;
}

export class LastCallsDto {
  @ApiProperty({ example: 100, description: 'How many recent calls this covers (at most 100)' })
  calls: number;
  @ApiProperty({ example: 2 })
  errors: number;
  @ApiProperty({ example: 0.02 })
  errorRate: number;
}

export class ProviderStatusDto {
  @ApiProperty({ example: 'cnaf' })
  id: string;
  @ApiProperty({ example: 'Caisse nationale des allocations familiales (CNAF)' })
  name: string;
  @ApiProperty({ example: true, description: 'False when the operator disabled the provider' })
  enabled: boolean;
  @ApiProperty({
    enum: CIRCUIT_STATES,
    example: 'closed',
    description: 'closed: calls go through; open: refused at once (503); half_open: one probe call',
  })
  state: (typeof CIRCUIT_STATES)[number];
  @ApiProperty({
    example: '2025-01-01T10:00:00.000Z',
    description: 'Since when the circuit is in this state',
  })
  stateSince: string;
  @ApiProperty({ type: LastMinuteDto })
  lastMinute: LastMinuteDto;
  @ApiProperty({ type: LastCallsDto })
  lastCalls: LastCallsDto;
  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: 'When the last failed call ended',
  })
  lastErrorAt: string | null;
  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: 'Its problem code, e.g. provider_timeout',
  })
  lastErrorCode: string | null;
}

export class ProvidersStatusDto {
  @ApiProperty({ example: '2025-01-01T10:00:00.000Z' })
  generatedAt: string;
  @ApiProperty({
    example: 'instance',
    description: 'Figures are this gateway instance’s own view (each replica has its own breakers)',
  })
  scope: 'instance';
  @ApiProperty({ type: [ProviderStatusDto] })
  providers: ProviderStatusDto[];
}
