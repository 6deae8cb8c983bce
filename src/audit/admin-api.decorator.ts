import { applyDecorators, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/index.js';
import { AdminAuditInterceptor } from './admin-audit.interceptor.js';
import { OperatorGuard } from './operator.guard.js';

/**
 * Marks a controller as part of the operator API: operator bearer token required, every call
 * audited (with `@AdminAction` on each handler), documented under the `admin` tag.
 */
export const AdminApi = () =>
  applyDecorators(
    ApiTags('admin'),
    ApiBearerAuth('operator'),
    UseGuards(OperatorGuard),
    UseInterceptors(AdminAuditInterceptor),
    ApiProblems(401),
  );
