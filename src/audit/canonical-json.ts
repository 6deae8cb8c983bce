/**
 * Deterministic JSON (sorted object keys, no whitespace), used wherever bytes are hashed or
 * signed: PostgreSQL's jsonb does not keep key order, so a hash over plain JSON.stringify
 * would not survive a round trip through the database.
 *
 * Keys sort by UTF-16 code units (Array.prototype.sort's default order for strings); properties
 * whose value is `undefined` are left out, `undefined` elsewhere is `null`, a Date is its ISO
 * string, a bigint its digits. Written as plain loops: every consented fetch serializes its
 * answer and three audit entries through it (see canonical-json.spec.ts for the output fixed).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]);
    }
    return out + ']';
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key) + ':' + canonicalJson(item);
  }
  return out + '}';
}
