import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/index.js';
import {
  CheckpointDto,
  CheckpointListDto,
  CheckpointsQueryDto,
  ConsistencyProofDto,
  ConsistencyQueryDto,
  InclusionProofDto,
  InclusionQueryDto,
} from './dto/transparency.dto.js';
import { TransparencyErrors } from './errors.js';
import { TransparencyLogError, TransparencyLogService } from './transparency-log.service.js';

function mapError(err: unknown): never {
  if (err instanceof TransparencyLogError) {
    throw err.code === 'tree_size_unknown'
      ? TransparencyErrors.treeSizeUnknown()
      : TransparencyErrors.eventNotInTree();
  }
  throw err;
}

/**
 * Public, unauthenticated: a checkpoint reveals a size and a hash, a proof only hashes. Anyone
 * (a citizen, an auditor, a data provider, a witness) can hold the gateway to its log.
 */
@ApiTags('transparency-log')
@Controller('api/v1/audit')
export class TransparencyController {
  constructor(private readonly log: TransparencyLogService) {}

  @Get('checkpoint')
  @ApiOperation({
    summary: 'The latest signed checkpoint (signed tree head) of the audit log',
    description:
      'Tree size, root hash and time, signed by the gateway (ES256 JWS, key at /.well-known/jwks.json). Keep it: a later log that is not an extension of it is caught by a consistency proof. 404 before the first checkpoint.',
  })
  @ApiOkResponse({ type: CheckpointDto })
  @ApiProblems(404)
  async latest(): Promise<CheckpointDto> {
    const checkpoint = await this.log.latestCheckpoint();
    if (!checkpoint) throw TransparencyErrors.noCheckpoint();
    return checkpoint;
  }

  @Get('checkpoints')
  @ApiOperation({
    summary: 'Signed checkpoints from a tree size on, oldest first',
    description:
      'Every checkpoint the gateway signed whose tree size is at least `from`, at most `limit` of them: what a witness or an auditor compares with the copies it holds.',
  })
  @ApiOkResponse({ type: CheckpointListDto })
  @ApiProblems(400)
  async list(@Query() q: CheckpointsQueryDto): Promise<CheckpointListDto> {
    return { items: await this.log.checkpoints(q.from ?? 0, q.limit ?? 100) };
  }

  @Get('proof/inclusion')
  @ApiOperation({
    summary: 'RFC 9162 inclusion proof of an audit event in a tree of given size',
    description:
      'The audit path from the event’s leaf to the root of the tree of `treeSize` leaves (default: the latest checkpoint’s). A fetch answer names its event in `provenance.auditEventId`. 404 while the event is not yet in the tree.',
  })
  @ApiOkResponse({ type: InclusionProofDto })
  @ApiProblems(400, 404)
  async inclusion(@Query() q: InclusionQueryDto): Promise<InclusionProofDto> {
    let size = q.treeSize;
    if (size === undefined) {
      const latest = await this.log.latestCheckpoint();
      if (!latest) throw TransparencyErrors.noCheckpoint();
      size = latest.treeSize;
    }
    return this.log.inclusion(q.eventId, size).catch(mapError);
  }

  @Get('proof/consistency')
  @ApiOperation({
    summary: 'RFC 9162 consistency proof between two tree sizes',
    description:
      'Proves that the tree of `to` leaves extends the tree of `from` leaves (nothing removed, rewritten or reordered): checked against two signed checkpoints.',
  })
  @ApiOkResponse({ type: ConsistencyProofDto })
  @ApiProblems(400)
  async consistency(@Query() q: ConsistencyQueryDto): Promise<ConsistencyProofDto> {
    if (q.from > q.to) throw TransparencyErrors.sizesOutOfOrder();
    const proof = await this.log.consistency(q.from, q.to).catch(mapError);
    return { from: q.from, to: q.to, proof };
  }
}
