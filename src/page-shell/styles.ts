/**
 * The few rules the DSFR has no class for, served as /assets/passerelle.css (the CSP allows
 * style sheets from our origin only, no inline style).
 */
export const PAGE_CSS = `
/* The access log: a table on wide screens, one card per access on a phone (no sideways
   scrolling, no scroll area to reach with the keyboard). Each cell names its column. */
@media (max-width: 47.99em) {
  .fr-table.pa-access-log .fr-table__wrapper,
  .fr-table.pa-access-log .fr-table__container,
  .fr-table.pa-access-log .fr-table__content { overflow: visible; width: 100%; min-width: 0; }
  .fr-table.pa-access-log .fr-table__content table,
  .fr-table.pa-access-log .fr-table__content table tbody,
  .fr-table.pa-access-log .fr-table__content table tr,
  .fr-table.pa-access-log .fr-table__content table td { display: block; width: 100%; min-width: 0; }
  .fr-table.pa-access-log .fr-table__content table { border: 0; }
  .fr-table.pa-access-log .fr-table__content table thead {
    position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
  }
  .fr-table.pa-access-log .fr-table__content table tr {
    border: 1px solid var(--border-default-grey); margin-bottom: 1rem; padding: .5rem 0;
  }
  .fr-table.pa-access-log .fr-table__content table td {
    background: none; border: 0; padding: .25rem .75rem; white-space: normal;
  }
  .fr-table.pa-access-log .fr-table__content table td::before {
    content: attr(data-label) " : "; font-weight: 700;
  }
}
/* The decision, kept within reach: a summary box with the buttons above the details. */
.pa-summary { border-left: 4px solid var(--border-plain-blue-france); padding-left: 1rem; }
.pa-details > summary { cursor: pointer; font-weight: 700; padding: .5rem 0; color: var(--text-action-high-blue-france); }
.pa-details[open] > summary { margin-bottom: .5rem; }
`;
