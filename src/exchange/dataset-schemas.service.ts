/**
 * Checks a provider's answer against its dataset's JSON Schema and reduces it to what the
 * dataset declares, so that a client gets exactly the fields the citizen was shown, never more,
 * and a non-conforming answer is never passed through.
 */
import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { canonicalJson } from '../audit/index.js';
import { compileResponseSchema } from '../registry/index.js';
import type { DatasetTarget } from './exchange.types.js';

/**
 * The registry's own compiler (same drafts, strictness and formats as it accepts at
 * registration), plus `removeAdditional: 'all'`: properties a schema does not list are dropped
 * from the answer instead of failing it, so a provider that adds a field does not break the
 * dataset but the new field does not leak either. ajv applies the removal while validating, so
 * `validate` mutates: it only ever runs on our own copy. Caveat documented by ajv: inside
 * `anyOf`/`oneOf`, a branch that is tried and fails may already have removed properties; the
 * catalogue only uses `anyOf` for "X or null", where that cannot happen.
 */
function compile(schema: object): ValidateFunction {
  return compileResponseSchema(schema, { removeAdditional: 'all' });
}

/** Which parts of an answer the dataset declares: `all` covers everything below. */
interface FieldTree {
  all: boolean;
  children: Map<string, FieldTree>;
}

function fieldTree(fields: Record<string, string>): FieldTree {
  const root: FieldTree = { all: false, children: new Map() };
  for (const path of Object.keys(fields)) {
    let node = root;
    for (const part of path.split('.')) {
      if (node.all) break;
      let next = node.children.get(part);
      if (!next) {
        next = { all: false, children: new Map() };
        node.children.set(part, next);
      }
      node = next;
    }
    node.all = true;
    node.children.clear();
  }
  return root;
}

/** Keeps only the declared paths; a path through an array applies to each element. */
function pick(value: unknown, tree: FieldTree): unknown {
  if (tree.all) return value;
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((v) => pick(v, tree));
  if (typeof value !== 'object') return undefined;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, child] of tree.children) {
    if (Object.prototype.hasOwnProperty.call(source, key)) {
      const picked = pick(source[key], child);
      if (picked !== undefined) out[key] = picked;
    }
  }
  return out;
}

export type DatasetSchemaRef = Pick<
  DatasetTarget,
  'id' | 'responseSchema' | 'schemaVersion' | 'fields'
>;

export type ReduceResult = { ok: true; data: unknown } | { ok: false; errors: string[] };

interface CompiledSchema {
  /** `v:<schemaVersion>` or the schema's SHA-256. */
  hash: string;
  validate: ValidateFunction;
}

export function schemaHash(schema: object): string {
  return createHash('sha256').update(canonicalJson(schema)).digest('hex');
}

@Injectable()
export class DatasetSchemas {
  /** datasetId -> the validator of its current schema (recompiled when the hash changes). */
  private readonly byDataset = new Map<string, CompiledSchema>();
  /** Schema object -> validator: the registry's cached record hits this without re-hashing. */
  private readonly byObject = new WeakMap<object, CompiledSchema>();
  private readonly trees = new WeakMap<object, FieldTree>();
  private compilations = 0;

  /** How many schemas were compiled so far (tests check that it is once per schema version). */
  get compileCount(): number {
    return this.compilations;
  }

  /** The validator of the dataset's current schema, compiled once per (dataset id, schema
   * version or hash). */
  validatorFor(
    dataset: Pick<DatasetTarget, 'id' | 'responseSchema' | 'schemaVersion'>,
  ): ValidateFunction {
    const schema = dataset.responseSchema;
    const known = this.byObject.get(schema);
    const current = this.byDataset.get(dataset.id);
    if (known && current === known) return known.validate;
    const hash =
      dataset.schemaVersion !== undefined ? `v:${dataset.schemaVersion}` : schemaHash(schema);
    let entry = current;
    if (!entry || entry.hash !== hash) {
      entry = { hash, validate: compile(schema) };
      this.compilations++;
      this.byDataset.set(dataset.id, entry);
    }
    this.byObject.set(schema, entry);
    return entry.validate;
  }

  /**
   * Validates `answer` against the dataset's schema and reduces it to the declared fields.
   * `answer` itself is never modified (ajv's removal runs on a copy).
   */
  validateAndReduce(dataset: DatasetSchemaRef, answer: unknown): ReduceResult {
    return this.reduceOwned(dataset, structuredClone(answer));
  }

  /**
   * Same, from the provider's raw JSON text: the freshly parsed value is our own copy, so no
   * clone is needed (a structuredClone of an answer costs tens of microseconds per fetch).
   * Throws SyntaxError when `json` is not JSON.
   */
  parseValidateAndReduce(dataset: DatasetSchemaRef, json: string): ReduceResult {
    return this.reduceOwned(dataset, JSON.parse(json) as unknown);
  }

  /** `value` is mutated (removeAdditional): callers pass a value nobody else holds. */
  private reduceOwned(dataset: DatasetSchemaRef, value: unknown): ReduceResult {
    const validate = this.validatorFor(dataset);
    if (!validate(value)) return { ok: false, errors: describe(validate.errors) };
    let tree = this.trees.get(dataset.fields);
    if (!tree) {
      tree = fieldTree(dataset.fields);
      this.trees.set(dataset.fields, tree);
    }
    return { ok: true, data: pick(value, tree) ?? null };
  }

  /** Forgets a dataset's compiled schema (e.g. when the registry deletes it). */
  forget(datasetId: string): void {
    this.byDataset.delete(datasetId);
  }
}

/** Where and which keyword failed; never the provider's values (they are personal data). */
function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.keyword}`);
}
