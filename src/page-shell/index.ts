/**
 * The page shell (DSFR layout, escaping, footer, FranceConnect button) shared by every HTML page
 * the gateway renders: the citizen's pages and the identity module's login pages. Its own module
 * so that identity need not import citizen (which imports identity).
 */
export {
  DSFR_PATH,
  FOOTER_PAGES,
  PAGE_CSS_PATH,
  dsfrAssetsDir,
  dsfrVersion,
  franceConnectButton,
  logoutControl,
  mountDsfrAssets,
  renderPage,
  type PageOptions,
} from './layout.js';
export { PAGE_CSS } from './styles.js';
