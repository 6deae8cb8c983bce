/**
 * The few rules the DSFR has no class for, served as /assets/passerelle.css (the CSP allows
 * style sheets from our origin only, no inline style).
 */
export const PAGE_CSS = `
/* The access log: a table on wide screens, one card per access on a phone (no sideways
   scrolling, no scroll area to reach with the keyboard). Each cell names its column. */
@media (max-width: 47.99em) {
  .pa-access-log .fr-table__wrapper,
  .pa-access-log .fr-table__container,
  .pa-access-log .fr-table__content { overflow: visible; width: 100%; }
  .pa-access-log table,
  .pa-access-log tbody,
  .pa-access-log tr,
  .pa-access-log td { display: block; width: 100%; }
  .pa-access-log thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .pa-access-log tr { border: 1px solid var(--border-default-grey); margin-bottom: 1rem; padding: .5rem 0; }
  .pa-access-log td { border: 0; padding: .25rem .75rem; white-space: normal; }
  .pa-access-log td::before { content: attr(data-label) " : "; font-weight: 700; }
}
/* The decision, kept within reach: a summary box with the buttons above the details. */
.pa-summary { border-left: 4px solid var(--border-plain-blue-france); padding-left: 1rem; }
.pa-details > summary { cursor: pointer; font-weight: 700; padding: .5rem 0; color: var(--text-action-high-blue-france); }
.pa-details[open] > summary { margin-bottom: .5rem; }
`;
