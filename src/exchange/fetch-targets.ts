/**
 * The consented fetch's cache of registry targets (decrypted provider credentials, compiled
 * schema key), kept in process and checked against the dataset and provider versions that the
 * fetch's one statement (consent's `readContextAndReserve`) reports: a registry change bumps a
 * version, so the next fetch reloads; a disabled dataset or provider is refused from that
 * statement's row before this cache is asked.
 */
import type { RegistryService } from '../registry/index.js';
import type { DatasetTarget, ProviderTarget } from './exchange.types.js';
import { datasetTarget, providerTarget } from './registry-targets.js';

/** Datasets are few; a bound only against a registry that keeps creating them. */
const MAX_CACHED_TARGETS = 1000;

export interface FetchTargets {
  datasetVersion: string;
  providerVersion: string;
  dataset: DatasetTarget;
  provider: ProviderTarget;
}

/** What the fetch's statement says about the dataset's registry rows. */
export interface TargetVersions {
  providerId: string | null;
  datasetVersion: string | null;
  providerVersion: string | null;
}

export class FetchTargetsCache {
  /** datasetId -> registry targets, valid while the context reports the same versions. */
  private readonly targets = new Map<string, FetchTargets>();
  /** One registry read per dataset version, however many fetches need it at once. */
  private readonly loading = new Map<string, Promise<FetchTargets | null>>();

  constructor(private readonly registry: RegistryService) {}

  /**
   * The provider call's inputs for this dataset: from the cache while the statement reports
   * the same dataset and provider versions, else read from the registry (two primary-key reads,
   * once per version however many fetches ask at the same time). Null when the registry no
   * longer has them active.
   */
  async get(versions: TargetVersions, datasetId: string): Promise<FetchTargets | null> {
    const { datasetVersion, providerVersion, providerId } = versions;
    if (!datasetVersion || !providerVersion || !providerId) return null;
    const cached = this.targets.get(datasetId);
    if (
      cached &&
      cached.datasetVersion === datasetVersion &&
      cached.providerVersion === providerVersion &&
      cached.provider.id === providerId
    ) {
      return cached;
    }
    const key = `${datasetId}\n${datasetVersion}\n${providerVersion}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(datasetId, providerId, datasetVersion, providerVersion).finally(() =>
        this.loading.delete(key),
      );
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async load(
    datasetId: string,
    providerId: string,
    datasetVersion: string,
    providerVersion: string,
  ): Promise<FetchTargets | null> {
    const [dataset, provider] = await Promise.all([
      this.registry.getActiveDataset(datasetId),
      this.registry.getProviderWithSecret(providerId),
    ]);
    if (!dataset || !provider) return null;
    if (dataset.providerId !== provider.id) return null; // moved meanwhile: next request reloads
    const targets: FetchTargets = {
      // The versions the statement saw: if the registry changed in between, the next statement
      // reports newer ones and this entry is replaced.
      datasetVersion,
      providerVersion,
      dataset: datasetTarget(dataset),
      provider: providerTarget(provider),
    };
    if (this.targets.size >= MAX_CACHED_TARGETS) this.targets.clear();
    this.targets.set(datasetId, targets);
    return targets;
  }
}
