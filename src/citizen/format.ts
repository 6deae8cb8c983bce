/**
 * Dates as a French reader expects them, always in metropolitan French time (Europe/Paris):
 * the server's own time zone must never change what the citizen reads.
 */
const TIME_ZONE = 'Europe/Paris';

const DATE = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: TIME_ZONE });
const DATE_TIME = new Intl.DateTimeFormat('fr-FR', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: TIME_ZONE,
});

/** "24 août 2026" */
export function frenchDate(date: Date): string {
  return DATE.format(date);
}

/** "24 août 2026 à 14:05" */
export function frenchDateTime(date: Date): string {
  return DATE_TIME.format(date);
}
