/**
 * Refusals at the HTTP edge, before any DTO, validation or database sees the request:
 *
 * - JSON nested deeper than MAX_JSON_DEPTH (class-transformer and class-validator recurse: 40,000
 *   levels in 80 kB used to end in a stack overflow and a 500);
 * - control characters (NUL reaches PostgreSQL as an error, the others have no business in an
 *   id or a name) in the API's path, query and body;
 * - invisible format characters (Unicode bidirectional overrides and isolates, zero-width
 *   characters, soft hyphen, BOM…) in the API's bodies: a requesting service or a registry
 *   entry must not make the citizen's consent page read differently from what is stored.
 */
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from './problem.js';

/** Deeper than any registry document or JSON Schema we accept, far below any recursion limit. */
export const MAX_JSON_DEPTH = 64;

/**
 * Counts `[` / `{` nesting in raw JSON text, outside strings, without parsing it. Answers true
 * as soon as `max` is exceeded (the scan stops there).
 */
export function jsonDeeperThan(raw: Buffer | string, max: number): boolean {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

export const InputErrors = {
  bodyTooDeep: () =>
    new ApiError(
      400,
      'body_too_deep',
      'Request body nested too deeply',
      `JSON bodies may nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep.`,
    ),
  forbiddenCharacters: (field: string, what: 'control' | 'invisible') =>
    new ApiError(
      400,
      'forbidden_characters',
      'Forbidden characters',
      what === 'control'
        ? `${field} contains a control character (NUL, escape…), which no field accepts.`
        : `${field} contains an invisible or bidirectional formatting character, which could make ` +
            'a page read differently from what is stored.',
      { errors: [{ field, messages: [`${field} contains forbidden characters`] }] },
    ),
};

/** `express.json({ verify })`: refuses an over-deep body before it is parsed. */
export function refuseDeepJson(_req: unknown, _res: unknown, raw: Buffer): void {
  if (jsonDeeperThan(raw, MAX_JSON_DEPTH)) throw InputErrors.bodyTooDeep();
}

/** C0 and C1 controls and DEL; tab, line feed and carriage return are allowed in text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_ANYWHERE = /[\u0000-\u001F\u007F-\u009F]/;
/**
 * Format characters (`\p{Cf}`: bidi embeddings, overrides and isolates, LRM/RLM/ALM, zero-width
 * space/joiners, word joiner, invisible operators, soft hyphen, BOM…), line and paragraph
 * separators, and the Hangul fillers that render as blank.
 */
const INVISIBLE = /[\p{Cf}\u2028\u2029\u115F\u1160\u3164\uFFA0]/u;

/** Why `value` is refused, or null. `strict`: no tab or line break either (ids, query values). */
export function characterProblem(value: string, strict: boolean): 'control' | 'invisible' | null {
  if ((strict ? CONTROL_ANYWHERE : CONTROL_IN_TEXT).test(value)) return 'control';
  if (INVISIBLE.test(value)) return 'invisible';
  return null;
}

/** Removes what `characterProblem` refuses as invisible: for text already stored, when shown. */
export function withoutInvisibleCharacters(value: string): string {
  return value.replace(new RegExp(INVISIBLE.source, 'gu'), '');
}

/** The first string (key or value) of a parsed body that must be refused, with its path. */
function findInBody(
  value: unknown,
  path: string,
): { field: string; what: 'control' | 'invisible' } | null {
  if (typeof value === 'string') {
    const what = characterProblem(value, false);
    return what ? { field: path || 'body', what } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findInBody(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      const what = characterProblem(key, true);
      if (what) return { field: path ? `${path} (a key)` : 'body (a key)', what };
      const found = findInBody(child, field);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Middleware on the JSON API (`/api`): path segments and query values may carry no control or
 * invisible character at all; body strings no control character but tab and line breaks, and
 * no invisible one. The token endpoint (RFC 6749 answers) and the citizen pages (HTML) are
 * outside `/api` and validate on their own.
 */
export function refuseForbiddenCharacters(req: Request, _res: Response, next: NextFunction): void {
  // Printable ASCII and no percent-encoding: the path and query decode to themselves, with no
  // control or invisible character in them (the common case, checked in one regular expression).
  if (PLAIN_URL.test(req.originalUrl)) return refuseInBody(req, next);
  let segments: string[];
  try {
    segments = req.path.split('/').map((s) => decodeURIComponent(s));
  } catch {
    next(
      new ApiError(400, 'malformed_path', 'Malformed path', 'The path is not valid UTF-8 text.'),
    );
    return;
  }
  for (const segment of segments) {
    const what = characterProblem(segment, true);
    if (what) return next(InputErrors.forbiddenCharacters('path', what));
  }
  for (const [name, value] of Object.entries(req.query)) {
    for (const v of [name, ...(Array.isArray(value) ? value : [value])]) {
      if (typeof v !== 'string') continue;
      const what = characterProblem(v, true);
      const field = characterProblem(name, true) ? 'query' : `query.${name.slice(0, 40)}`;
      if (what) return next(InputErrors.forbiddenCharacters(field, what));
    }
  }
  refuseInBody(req, next);
}

/** A URL whose path and query need no decoding nor check: printable ASCII, no `%`. */
const PLAIN_URL = /^[\x21-\x24\x26-\x7E]*$/;

function refuseInBody(req: Request, next: NextFunction): void {
  const found = findInBody(req.body, '');
  if (found) return next(InputErrors.forbiddenCharacters(found.field, found.what));
  next();
}
