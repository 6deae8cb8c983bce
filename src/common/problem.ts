/**
 * RFC 9457 problem details. Every error the gateway answers has this shape, with a stable
 * `code` clients can branch on and the `requestId` operators can grep for.
 */
import { HttpException, HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://passerelle.numerique.gouv.fr/problems/';

export class ProblemFieldError {
  @ApiProperty({ example: 'durationDays' })
  field: string;
  @ApiProperty({ type: [String], example: ['durationDays must not be greater than 365'] })
  messages: string[];
}

export class ProblemDto {
  @ApiProperty({ example: `${PROBLEM_TYPE_BASE}validation_failed` })
  type: string;
  @ApiProperty({ example: 'Invalid request' })
  title: string;
  @ApiProperty({ example: 400 })
  status: number;
  @ApiProperty({ example: 'Some fields are invalid.' })
  detail: string;
  @ApiProperty({ example: 'validation_failed', description: 'Stable, machine-readable error code' })
  code: string;
  @ApiProperty({ example: '0b6f0a8e-5b8b-4a53-8a3e-0e4f8e2f1f7a' })
  requestId: string;
  @ApiPropertyOptional({ type: [ProblemFieldError] })
  errors?: ProblemFieldError[];
}

export interface ProblemExtras {
  errors?: ProblemFieldError[];
  [key: string]: unknown;
}

/**
 * The one exception type carrying a stable error code. Modules list their codes in their own
 * `errors.ts` and throw `new ApiError(status, code, title, detail)`.
 */
export class ApiError extends HttpException {
  constructor(
    status: HttpStatus | number,
    readonly code: string,
    readonly title: string,
    readonly detail: string = title,
    readonly extras: ProblemExtras = {},
    readonly headers: Record<string, string> = {},
  ) {
    super({ code, title, detail }, status);
  }
}

interface ValidationErrorLike {
  property: string;
  value?: unknown;
  constraints?: Record<string, string>;
  children?: ValidationErrorLike[];
}

/**
 * Flattens class-validator errors into `{field: 'a.b', messages}` (nested paths kept). A field
 * that is simply missing gets one message, "<field> is required", not every rule it would
 * also break (length, pattern…).
 */
export function validationProblem(errors: ValidationErrorLike[]): ApiError {
  const out: ProblemFieldError[] = [];
  const walk = (list: ValidationErrorLike[], prefix: string) => {
    for (const e of list) {
      const field = prefix ? `${prefix}.${e.property}` : e.property;
      const missing =
        (e.value === undefined || e.value === null) && !e.children?.length && e.constraints;
      if (missing) out.push({ field, messages: [`${field} is required`] });
      else if (e.constraints) out.push({ field, messages: Object.values(e.constraints) });
      if (e.children?.length) walk(e.children, field);
    }
  };
  walk(errors, '');
  return new ApiError(400, 'validation_failed', 'Invalid request', 'Some fields are invalid.', {
    errors: out,
  });
}

/** The options of the global ValidationPipe (also used by specs that build a bare module). */
export const VALIDATION_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors: ValidationErrorLike[]) => validationProblem(errors),
};
