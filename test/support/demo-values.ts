import { PROVIDER_RECORDS } from '../../sandbox/providers/data.js';

const quotient = (PROVIDER_RECORDS.cnaf.angela.quotient_familial as { valeur: number }).valeur;

/**
 * Angela's family quotient at the demo CNAF, as a value of its own: not four digits that a
 * request id or another number happens to hold.
 */
export const ANGELA_QUOTIENT = new RegExp(`(?<![\\w-])${quotient}(?![\\w-])`);
