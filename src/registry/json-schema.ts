/**
 * The one place that turns a dataset's `responseSchema` into a validator, so that what the
 * operator API accepts at registration is exactly what the exchange module enforces on a
 * provider's answer (same drafts, same strictness, same formats).
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`: depending on the loader its default import is
// the function itself or the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv;

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_2020_12 = /^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

/**
 * Strict mode: an unknown keyword (`tpye`), an unknown format, a keyword used without its type
 * or an invalid schema (`"type": "strnig"`) is an error, not a silently ignored constraint.
 * `strictRequired` stays off (ajv documents false positives with `allOf`). No remote `$ref`
 * is ever fetched: ajv has no `loadSchema` here, so such a schema does not compile.
 */
const OPTIONS: Options = {
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
  allErrors: false,
  logger: false,
};

/**
 * Compiles with a fresh Ajv instance (no cache growing with every schema seen; `$id`s of
 * different datasets never collide). Throws ajv's error when the schema is not valid.
 * `extra` adds options that change what validation does to data (e.g. the exchange's
 * `removeAdditional`), never which schemas are accepted.
 */
export function compileResponseSchema(
  schema: unknown,
  extra: Pick<Options, 'removeAdditional' | 'allErrors'> = {},
): ValidateFunction {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new Error('must be a JSON Schema object');
  }
  const declared = (schema as { $schema?: unknown }).$schema;
  let ajv: Ajv;
  if (declared === undefined || (typeof declared === 'string' && DRAFT_2020_12.test(declared))) {
    ajv = new Ajv2020({ ...OPTIONS, ...extra });
  } else if (typeof declared === 'string' && DRAFT_07.test(declared)) {
    ajv = new Ajv({ ...OPTIONS, ...extra });
  } else {
    throw new Error('$schema must be JSON Schema draft 2020-12 (default) or draft-07');
  }
  addFormats(ajv);
  return ajv.compile(schema);
}

/** Why `schema` cannot be used as a response schema, or null when it compiles. */
export function responseSchemaProblem(schema: unknown): string | null {
  try {
    compileResponseSchema(schema);
    return null;
  } catch (err) {
    return `responseSchema is not a valid JSON Schema: ${(err as Error).message}`.slice(0, 500);
  }
}
