/** The registry module's public surface: RegistryService (the read side other modules use), the habilitation rule, dataset ids and URL checks. */
export { DATASET_ID } from './dto/dataset.dto.js';
export { compileResponseSchema } from './json-schema.js';
export { RegistryModule } from './registry.module.js';
export { DATASET_REFERENCES, type DatasetReferences } from './dataset-references.js';
export { RegistryService } from './registry.service.js';
export { isHabilitationActive, type HabilitationValidity } from './habilitation-rule.js';
export { activeHabilitationSql } from './habilitations.repository.js';
export {
  type ActiveDataset,
  type ClientStatusRow,
  type ClientSummaryRow,
  type ConsentRequestChecks,
  type DatasetDescription,
  type GrantingHabilitation,
  type ProviderWithSecret,
} from './registry.types.js';
export { urlProblem } from './validators.js';
