/**
 * Dates, times, amounts and yes/no as a French reader expects them (the State's editorial
 * charter: "le 1er décembre 2026", "14 h 49", "2 436 €"), dates always in metropolitan French
 * time (Europe/Paris): the server's own time zone must never change what the citizen reads.
 */
const TIME_ZONE = 'Europe/Paris';

const DAY_MONTH_YEAR = new Intl.DateTimeFormat('fr-FR', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: TIME_ZONE,
});
const HOUR_MINUTE = new Intl.DateTimeFormat('fr-FR', {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: TIME_ZONE,
});
const EUROS = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const EUROS_WHOLE = new Intl.NumberFormat('fr-FR', {
  style: 'currency',
  currency: 'EUR',
  maximumFractionDigits: 0,
});
const NUMBER = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 6 });

function parts(format: Intl.DateTimeFormat, date: Date): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of format.formatToParts(date)) out[p.type] = p.value;
  return out;
}

/** "24 août 2026", "1er décembre 2026" (the first of the month is an ordinal in French). */
export function frenchDate(date: Date): string {
  const p = parts(DAY_MONTH_YEAR, date);
  const day = p.day === '1' ? '1er' : p.day;
  return `${day} ${p.month} ${p.year}`;
}

/** "14 h 05" */
export function frenchTime(date: Date): string {
  const p = parts(HOUR_MINUTE, date);
  return `${Number(p.hour)} h ${p.minute}`;
}

/** "24 août 2026 à 14 h 05" */
export function frenchDateTime(date: Date): string {
  return `${frenchDate(date)} à ${frenchTime(date)}`;
}

/** "2 436 €", "1 186,50 €" (cents shown only when there are some). */
export function frenchEuros(amount: number): string {
  return Number.isInteger(amount) ? EUROS_WHOLE.format(amount) : EUROS.format(amount);
}

/** "1 186", "0,5" */
export function frenchNumber(value: number): string {
  return NUMBER.format(value);
}

/** "oui" / "non" */
export function frenchBoolean(value: boolean): string {
  return value ? 'oui' : 'non';
}
