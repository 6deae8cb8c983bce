import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import { TEST_CITIZENS } from '../citizens.js';
import { DEMO_CATALOG, IDENTITY_QUERY_PARAMS, type JsonSchema } from './catalog.js';
import { PROVIDER_RECORDS, breakRecord } from './data.js';

/** Every dotted path the schema declares (objects and their leaves; arrays are leaves). */
function schemaPaths(schema: JsonSchema, prefix = ''): string[] {
  const out: string[] = [];
  const branch = (schema.anyOf as JsonSchema[] | undefined)?.find((s) => s.type !== 'null');
  const s = branch ?? schema;
  if (s.type === 'object' && s.properties) {
    for (const [k, v] of Object.entries(s.properties as Record<string, JsonSchema>)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.push(p, ...schemaPaths(v, p));
    }
  }
  // Array items share their array's path (`enfants.prenoms`), as the citizen pages read them.
  if (s.items && typeof s.items === 'object')
    out.push(...schemaPaths(s.items as JsonSchema, prefix));
  return out;
}

describe('DEMO_CATALOG', () => {
  it('has one dataset per provider, ids <provider>.<name>', () => {
    const providers = DEMO_CATALOG.providers.map((p) => p.id).sort();
    expect(providers).toEqual(['cnaf', 'dgfip', 'france_travail', 'mesr']);
    for (const d of DEMO_CATALOG.datasets) {
      expect(d.id.startsWith(`${d.providerId}.`)).toBe(true);
      expect(d.path).toMatch(/^\/v3\//);
      expect(d.title.length).toBeGreaterThan(3);
      expect(d.description.length).toBeGreaterThan(10);
    }
    expect(DEMO_CATALOG.datasets.map((d) => d.id).sort()).toEqual([
      'cnaf.quotient_familial',
      'dgfip.avis_imposition',
      'france_travail.statut',
      'mesr.statut_etudiant',
    ]);
  });

  it('maps identity claims to the fixed query parameter names', () => {
    for (const d of DEMO_CATALOG.datasets) {
      expect(Object.keys(d.identityParams).length).toBeGreaterThan(2);
      for (const [claim, param] of Object.entries(d.identityParams)) {
        expect(IDENTITY_QUERY_PARAMS[claim as keyof typeof IDENTITY_QUERY_PARAMS]).toBe(param);
      }
    }
  });

  it.each(DEMO_CATALOG.datasets.map((d) => [d.id, d] as const))(
    '%s: schema compiles in strict draft-07 and 2020-12 modes, closed objects',
    (_id, d) => {
      new Ajv({ strict: true }).compile(d.responseSchema);
      new Ajv2020({ strict: true }).compile(d.responseSchema);
      expect(d.responseSchema.additionalProperties).toBe(false);
      expect(d.responseSchema.required).toEqual(Object.keys(d.responseSchema.properties as object));
    },
  );

  it.each(DEMO_CATALOG.datasets.map((d) => [d.id, d] as const))(
    '%s: every field path exists in the schema and every property is covered',
    (_id, d) => {
      const paths = new Set(schemaPaths(d.responseSchema));
      for (const f of Object.keys(d.fields)) expect(paths.has(f)).toBe(true);
      const covered = (p: string) =>
        Object.keys(d.fields).some(
          (f) => p === f || p.startsWith(`${f}.`) || f.startsWith(`${p}.`),
        );
      for (const p of paths) expect([p, covered(p)]).toEqual([p, true]);
      for (const text of Object.values(d.fields)) expect(text.length).toBeGreaterThan(3);
    },
  );

  it.each(DEMO_CATALOG.datasets.map((d) => [d.id, d] as const))(
    '%s: every value a citizen can be shown has its own French description (never its key)',
    (_id, d) => {
      const described = new Set(Object.keys(d.fields));
      const missing = new Set<string>();
      const walk = (value: unknown, path: string): void => {
        if (path && !described.has(path)) missing.add(path);
        if (Array.isArray(value)) value.forEach((item) => walk(item, path));
        else if (value !== null && typeof value === 'object') {
          for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
        }
      };
      // Arrays are transparent: their items share the array's path (`enfants.prenoms`).
      for (const record of Object.values(PROVIDER_RECORDS[d.providerId])) walk(record, '');
      // A parent path may be undescribed when all its children are (`quotient_familial`).
      const stillMissing = [...missing].filter(
        (p) => ![...described].some((f) => f.startsWith(`${p}.`)),
      );
      expect(stillMissing).toEqual([]);
    },
  );

  it.each(DEMO_CATALOG.datasets.map((d) => [d.id, d] as const))(
    '%s: every stored record validates; its broken twin does not',
    (_id, d) => {
      const validate = new Ajv({ strict: true, allErrors: true }).compile(d.responseSchema);
      const records = PROVIDER_RECORDS[d.providerId];
      expect(Object.keys(records).length).toBeGreaterThan(0);
      for (const [login, record] of Object.entries(records)) {
        expect(TEST_CITIZENS.some((c) => c.login === login)).toBe(true);
        expect([login, validate(record), validate.errors]).toEqual([login, true, null]);
        expect(validate(breakRecord(d.providerId, record))).toBe(false);
      }
    },
  );
});
