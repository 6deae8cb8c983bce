import { canonicalJson } from './canonical-json.js';

/**
 * Hashes and signatures already stored were computed over this function's output: it must
 * never change. The reference below is the first implementation, kept as the oracle.
 */
function reference(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** A small deterministic generator (no dependency, reproducible failures). */
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  const keyChars = ['a', 'B', 'z', '_', 'é', 'É', '1', '😀', '"', '\\', '\n', 'Ω', ' '];
  const key = () =>
    Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(keyChars)).join('');
  const value = (depth: number): unknown => {
    const kind = Math.floor(next() * (depth > 3 ? 7 : 9));
    switch (kind) {
      case 0:
        return null;
      case 1:
        return undefined;
      case 2:
        return next() < 0.5;
      case 3:
        return pick([0, -1, 1.5, 1e21, -0, 123456789, Number.NaN, 2 ** 53]);
      case 4:
        return key();
      case 5:
        return new Date(Math.floor(next() * 4e12));
      case 6:
        return BigInt(Math.floor(next() * 1e9));
      case 7:
        return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = Math.floor(next() * 5); i > 0; i--) o[key()] = value(depth + 1);
        return o;
      }
    }
  };
  return value;
}

describe('canonicalJson', () => {
  it('sorts keys by code unit, drops undefined properties, maps undefined elsewhere to null', () => {
    const value = { b: 1, a: [undefined, { z: undefined, y: 2n }], É: 'x', E: new Date(0) };
    expect(canonicalJson(value)).toBe(
      '{"E":"1970-01-01T00:00:00.000Z","a":[null,{"y":2}],"b":1,"É":"x"}',
    );
  });

  it('gives byte for byte the output of the first implementation on 5,000 random values', () => {
    const value = generator(20261201);
    for (let i = 0; i < 5000; i++) {
      const v = value(0);
      expect(canonicalJson(v)).toBe(reference(v));
    }
  });
});
