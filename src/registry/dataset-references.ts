/**
 * Who else names a dataset by id. Consent requests and consents do (arrays, no foreign key),
 * and their tables are the consent module's: the registry asks through this narrow contract,
 * which the consent module provides (consent depends on registry, so registry cannot import
 * it). Resolved at call time through ModuleRef.
 */
export interface DatasetReferences {
  /** How many consent requests and consents name `datasetId`. */
  countReferences(datasetId: string): Promise<{ requests: number; consents: number }>;
}

export const DATASET_REFERENCES = Symbol('DATASET_REFERENCES');
