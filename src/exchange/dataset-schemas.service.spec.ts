import { DEMO_CATALOG } from '../../sandbox/providers/catalog.js';
import { PROVIDER_RECORDS, breakRecord } from '../../sandbox/providers/data.js';
import { DatasetSchemas } from './dataset-schemas.service.js';

const schema = {
  type: 'object',
  properties: {
    a: { type: 'integer' },
    nested: {
      type: 'object',
      properties: { keep: { type: 'string' }, drop: { type: 'string' } },
      required: ['keep'],
      additionalProperties: false,
    },
    list: {
      type: 'array',
      items: { type: 'object', properties: { x: { type: 'integer' }, y: { type: 'integer' } } },
    },
  },
  required: ['a', 'nested'],
  additionalProperties: false,
};
const allFields = { a: 'A', nested: 'N', list: 'L' };

describe('DatasetSchemas', () => {
  it('compiles every catalogue schema and accepts every demo record, unchanged', () => {
    const schemas = new DatasetSchemas();
    for (const d of DEMO_CATALOG.datasets) {
      for (const record of Object.values(PROVIDER_RECORDS[d.providerId])) {
        const r = schemas.validateAndReduce(d, record);
        expect(r).toEqual({ ok: true, data: record });
      }
    }
    expect(schemas.compileCount).toBe(DEMO_CATALOG.datasets.length);
  });

  it('refuses every schema-breaking demo answer', () => {
    const schemas = new DatasetSchemas();
    for (const d of DEMO_CATALOG.datasets) {
      const record = Object.values(PROVIDER_RECORDS[d.providerId])[0];
      const r = schemas.validateAndReduce(d, breakRecord(d.providerId, record));
      expect(r.ok).toBe(false);
    }
  });

  it('drops undeclared properties without touching the caller’s object', () => {
    const schemas = new DatasetSchemas();
    const answer = {
      a: 1,
      extra: 'secret',
      nested: { keep: 'k', other: 'o' },
      list: [{ x: 1, z: 3 }],
    };
    const before = structuredClone(answer);
    const r = schemas.validateAndReduce(
      { id: 't', responseSchema: schema, fields: allFields },
      answer,
    );
    expect(r).toEqual({ ok: true, data: { a: 1, nested: { keep: 'k' }, list: [{ x: 1 }] } });
    expect(answer).toEqual(before);
  });

  it('keeps only the declared field paths, through arrays', () => {
    const schemas = new DatasetSchemas();
    const answer = { a: 1, nested: { keep: 'k', drop: 'd' }, list: [{ x: 1, y: 2 }, { x: 3 }] };
    const r = schemas.validateAndReduce(
      { id: 't', responseSchema: schema, fields: { 'nested.keep': 'K', 'list.x': 'X' } },
      answer,
    );
    expect(r).toEqual({ ok: true, data: { nested: { keep: 'k' }, list: [{ x: 1 }, { x: 3 }] } });
  });

  it('reports where validation failed without the offending values', () => {
    const schemas = new DatasetSchemas();
    const r = schemas.validateAndReduce(
      { id: 't', responseSchema: schema, fields: allFields },
      { a: 'DUBOIS', nested: { keep: 'k' } },
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toEqual(['/a type']);
      expect(r.errors.join()).not.toContain('DUBOIS');
    }
  });

  it('compiles once per (dataset, schema content) and recompiles when the operator changes it', () => {
    const schemas = new DatasetSchemas();
    const d = { id: 't', responseSchema: schema, fields: allFields };
    for (let i = 0; i < 10; i++) schemas.validateAndReduce(d, { a: 1, nested: { keep: 'k' } });
    schemas.validateAndReduce(
      { ...d, responseSchema: structuredClone(schema) },
      { a: 1, nested: { keep: 'k' } },
    );
    expect(schemas.compileCount).toBe(1);
    const stricter = {
      ...schema,
      properties: { ...schema.properties, a: { type: 'integer', minimum: 5 } },
    };
    const r = schemas.validateAndReduce(
      { ...d, responseSchema: stricter },
      { a: 1, nested: { keep: 'k' } },
    );
    expect(r.ok).toBe(false);
    expect(schemas.compileCount).toBe(2);
  });

  it('accepts draft-07 schemas and refuses unknown drafts and keywords', () => {
    const schemas = new DatasetSchemas();
    const d7 = { ...schema, $schema: 'http://json-schema.org/draft-07/schema#' };
    expect(
      schemas.validateAndReduce(
        { id: 'd7', responseSchema: d7, fields: allFields },
        { a: 1, nested: { keep: 'k' } },
      ).ok,
    ).toBe(true);
    expect(() =>
      schemas.validatorFor({ id: 'x', responseSchema: { $schema: 'http://example.com/s' } }),
    ).toThrow();
    expect(() =>
      schemas.validatorFor({ id: 'y', responseSchema: { type: 'object', requird: ['a'] } }),
    ).toThrow();
  });
});

describe('DatasetSchemas with a schema version', () => {
  it('keys the cache on the version instead of hashing the schema', () => {
    const schemas = new DatasetSchemas();
    const base = { id: 'v', fields: allFields, schemaVersion: '2025-01-01T00:00:00.000Z' };
    const value = '{"a":1,"nested":{"keep":"k","x":1}}';
    for (let i = 0; i < 3; i++) {
      const r = schemas.parseValidateAndReduce(
        { ...base, responseSchema: structuredClone(schema) },
        value,
      );
      expect(r).toEqual({ ok: true, data: { a: 1, nested: { keep: 'k' } } });
    }
    expect(schemas.compileCount).toBe(1);
    schemas.parseValidateAndReduce(
      { ...base, schemaVersion: '2025-02-01T00:00:00.000Z', responseSchema: schema },
      value,
    );
    expect(schemas.compileCount).toBe(2);
    expect(() =>
      schemas.parseValidateAndReduce({ ...base, responseSchema: schema }, '{"a":'),
    ).toThrow(SyntaxError);
  });
});
