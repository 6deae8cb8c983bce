/**
 * How a dataset's field descriptions (registry: dotted path -> French text) become what the
 * citizen reads: a label, a format and, where the description says how, the meaning of codes.
 *
 * Conventions an operator may use in a description (documented on the dataset API):
 * - "… (en euros)": the value is an amount, shown as "2 436 €";
 * - "… [F = femme ; M = homme]": the value is a code, shown with its meaning ("femme").
 * Both are taken out of the label. A nested value (an address, a person) is labelled with the
 * description of its own path (`adresse.ligne_voie`; array items share `enfants.prenoms`); a
 * value with no description at all is shown as "Autre information", never under its key.
 */
import { frenchBoolean, frenchDate, frenchEuros, frenchNumber } from './format.js';

export interface FieldFormat {
  /** What the citizen reads. */
  label: string;
  money: boolean;
  /** code -> meaning, when the description lists them. */
  codes: Record<string, string> | null;
}

/** The label of a value nobody described. */
export const GENERIC_LABEL = 'Autre information';

const EUROS = /\s*\(en euros\)\s*$/i;
const CODES = /\s*\[([^\]]+)\]\s*$/;

/** Splits a description into its label and its format hints. */
export function parseFieldDescription(description: string): FieldFormat {
  let label = description.trim();
  let codes: Record<string, string> | null = null;
  const codeMatch = CODES.exec(label);
  if (codeMatch) {
    const pairs = codeMatch[1]
      .split(';')
      .map((p) => p.split('='))
      .filter((p) => p.length === 2 && p[0].trim() && p[1].trim());
    if (pairs.length > 0) {
      codes = Object.fromEntries(pairs.map(([k, v]) => [k.trim(), v.trim()]));
      label = label.slice(0, codeMatch.index).trim();
    }
  }
  const money = EUROS.test(label);
  if (money) label = label.replace(EUROS, '').trim();
  return { label: label || GENERIC_LABEL, money, codes };
}

/**
 * The order a citizen should read a dataset's fields in (the registry keeps them in a JSON
 * column, which does not keep key order): amounts first, then the other facts, then the
 * groups (people, addresses, contacts), then the mentions that only apply "le cas échéant".
 */
function rank(path: string, description: string, fields: Record<string, string>): number {
  const f = parseFieldDescription(description);
  if (/le cas échéant|s’il y en a un|s'il y en a un/i.test(description)) return 4;
  if (f.money) return 0;
  const hasChildren = Object.keys(fields).some((p) => p.startsWith(`${path}.`));
  const looksGrouped = /:\s/.test(f.label);
  return hasChildren || looksGrouped ? 2 : 1;
}

export interface TopField {
  path: string;
  description: string;
}

/** Described paths that have no described ancestor, ordered for reading. */
export function topFields(fields: Record<string, string>): TopField[] {
  const paths = Object.keys(fields);
  const top = paths.filter((p) => !paths.some((other) => other !== p && p.startsWith(`${other}.`)));
  return top
    .map((path, i) => ({ path, description: fields[path], i }))
    .sort((a, b) => {
      const ra = rank(a.path, a.description, fields);
      const rb = rank(b.path, b.description, fields);
      return ra - rb || a.i - b.i;
    })
    .map(({ path, description }) => ({ path, description }));
}

/** A scalar in French: amounts, dates, yes/no, numbers, explained codes. Plain text (unescaped). */
export function formatScalar(
  value: string | number | boolean,
  format: FieldFormat | null,
): { text: string; isoDate?: string } {
  if (typeof value === 'boolean') return { text: frenchBoolean(value) };
  if (format?.codes && Object.prototype.hasOwnProperty.call(format.codes, String(value))) {
    return { text: format.codes[String(value)] };
  }
  if (typeof value === 'number') {
    // A year or a month number is not a quantity: "2025", never "2 025".
    if (format && /\b(année|mois)\b/i.test(format.label)) return { text: String(value) };
    return { text: format?.money ? frenchEuros(value) : frenchNumber(value) };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const date = new Date(`${value}T12:00:00Z`);
    if (!Number.isNaN(date.getTime())) return { text: frenchDate(date), isoDate: value };
  }
  return { text: value };
}
