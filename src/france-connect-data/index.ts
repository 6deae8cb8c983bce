/** What other modules use from the API FranceConnectée module. */
export { FranceConnectDataModule } from './france-connect-data.module.js';
export {
  FC_FETCH_AUDIT_KIND,
  FC_FETCH_FAILED_AUDIT_KIND,
  FC_FETCH_REFUSED_AUDIT_KIND,
} from './france-connect-data.service.js';
