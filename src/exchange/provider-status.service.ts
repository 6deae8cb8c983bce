import { Injectable } from '@nestjs/common';
import { RegistryService } from '../registry/index.js';
import type { ProvidersStatusDto } from './dto/provider-status.dto.js';
import { ProviderHealth } from './provider-health.service.js';

/** What `GET /api/v1/providers/status` answers: every registered provider, called or not. */
@Injectable()
export class ProviderStatusService {
  constructor(
    private readonly registry: RegistryService,
    private readonly health: ProviderHealth,
  ) {}

  async report(): Promise<ProvidersStatusDto> {
    const registered = await this.registry.listProviderStatuses();
    const byId = new Map(registered.map((p) => [p.id, p]));
    return {
      generatedAt: new Date().toISOString(),
      scope: 'instance',
      providers: this.health
        .snapshot(byId.keys())
        // Providers deleted from the registry since they were last called are not reported.
        .filter((p) => byId.has(p.id))
        .map((p) => ({
          ...p,
          name: byId.get(p.id)!.name,
          enabled: byId.get(p.id)!.status === 'active',
          stateSince: p.stateSince.toISOString(),
          lastErrorAt: p.lastErrorAt?.toISOString() ?? null,
        })),
    };
  }
}
