/**
 * What a provider answered, judged: the HTTP status mapped to our error codes, the body checked
 * against the dataset's schema and reduced (DatasetSchemas), and the one thing of the provider's
 * that may reach a citizen, the short text of a 404, made safe. Also the request URL a dataset
 * call is made to. No I/O here: ProviderClient calls these on what ProviderTransport brought back.
 */
import type { Logger } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import { ProviderFailure } from './circuit-breakers.js';
import { DatasetSchemas, type ReduceResult } from './dataset-schemas.service.js';
import { ExchangeErrors } from './errors.js';
import {
  IDENTITY_CLAIMS,
  type DatasetTarget,
  type IdentityPivot,
  type ProviderTarget,
} from './exchange.types.js';

const DEFAULT_NOT_FOUND = 'Le fournisseur de données ne connaît pas cette personne.';
const MAX_MESSAGE_LENGTH = 200;

export interface RawAnswer {
  body: string;
  contentType: string;
}

/** Maps an answered request (not retried) to the raw 2xx body, or throws. */
export function classifyAnswer(provider: ProviderTarget, res: AxiosResponse<string>): RawAnswer {
  const status = res.status;
  if (status >= 200 && status < 300) {
    return { body: res.data ?? '', contentType: String(res.headers['content-type'] ?? '') };
  }
  if (status === 404) throw ExchangeErrors.citizenUnknown(notFoundMessage(res.data));
  if (status === 401 || status === 403) throw ExchangeErrors.authFailed(provider.id);
  if (status === 429) throw ExchangeErrors.rateLimited(provider.id);
  if (status >= 500) throw new ProviderFailure('error', `status ${status}`, false);
  if (status >= 400) throw ExchangeErrors.rejectedRequest(provider.id);
  // 1xx/3xx: redirects are never followed (a provider must not send our identity elsewhere).
  throw ExchangeErrors.error(provider.id);
}

/** The 2xx body: JSON by its content type, then schema-checked and reduced. */
export function readAnswer(
  schemas: DatasetSchemas,
  logger: Logger,
  provider: ProviderTarget,
  dataset: DatasetTarget,
  raw: RawAnswer,
  requestId: string,
): { data: unknown } {
  if (raw.contentType && !/[/+]json\s*(;|$)/i.test(raw.contentType)) {
    throw ExchangeErrors.malformed(provider.id);
  }
  let reduced: ReduceResult;
  try {
    reduced = schemas.parseValidateAndReduce(dataset, raw.body);
  } catch (err) {
    if (err instanceof SyntaxError) throw ExchangeErrors.malformed(provider.id);
    throw err;
  }
  if (!reduced.ok) {
    logger.warn(
      { provider: provider.id, dataset: dataset.id, requestId, schemaErrors: reduced.errors },
      'provider answer does not match the dataset schema',
    );
    throw ExchangeErrors.schemaMismatch(provider.id, dataset.id);
  }
  // No digest here: the callers digest with the audit's key (keyedPayloadDigest), once.
  return { data: reduced.data };
}

/** Base URL + path + the identity claims the dataset needs, under the provider's names. */
export function datasetUrl(
  provider: ProviderTarget,
  dataset: DatasetTarget,
  identity: IdentityPivot,
): string {
  const base = provider.baseUrl.replace(/\/+$/, '');
  const path = dataset.path.startsWith('/') ? dataset.path : `/${dataset.path}`;
  const query = new URLSearchParams();
  for (const claim of IDENTITY_CLAIMS) {
    const param = dataset.identityParams[claim];
    if (!param) continue;
    // FranceConnect gives an empty birthplace for people born abroad; send it as given.
    query.append(param, identity[claim] ?? '');
  }
  const qs = query.toString();
  if (!qs) return `${base}${path}`;
  return `${base}${path}${path.includes('?') ? '&' : '?'}${qs}`;
}

/**
 * The provider's "not found" text, made safe to show: its `errors[0].detail` (or `title`),
 * plain text only, one line, short. Anything else from its body is ignored.
 */
export function notFoundMessage(body: unknown): string {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return DEFAULT_NOT_FOUND;
    }
  }
  const first = (parsed as { errors?: unknown } | null)?.errors;
  const error = Array.isArray(first)
    ? (first[0] as { detail?: unknown; title?: unknown })
    : undefined;
  return sanitizeMessage(error?.detail) ?? sanitizeMessage(error?.title) ?? DEFAULT_NOT_FOUND;
}

export function sanitizeMessage(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  let text = value
    .slice(0, 2000)
    .replace(/<[^>]*>?/g, ' ')
    // Control characters (\p{Cc}) and bidirectional overrides (they can disguise text).
    .replace(/[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069]/gu, ' ')
    .replace(/[<>]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) return null;
  if (text.length > MAX_MESSAGE_LENGTH)
    text = `${text.slice(0, MAX_MESSAGE_LENGTH - 1).trimEnd()}…`;
  return text;
}
