import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InvalidationBus } from '../events/index.js';
import { ClientStatusCache } from './client-status.cache.js';
import { VerifiedSecrets } from './verified-secrets.js';

/**
 * The bearer guard's ClientStatusCache and the token endpoint's VerifiedSecrets forget a client
 * on a `client` event from any instance (suspension, new secret), and everything on `all`. Lives in oauth (the cache's owner) and depends on events, never the
 * other way round: the events module knows no module that listens to it.
 */
@Injectable()
export class ClientStatusInvalidation implements OnApplicationBootstrap, OnModuleDestroy {
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: InvalidationBus,
    private readonly clients: ClientStatusCache,
    private readonly secrets: VerifiedSecrets,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.bus.subscribe((event) => {
      if (event.kind === 'client') {
        this.clients.invalidate(event.clientId);
        this.secrets.invalidate(event.clientId);
      } else if (event.kind === 'all') {
        this.clients.invalidateAll();
        this.secrets.invalidateAll();
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
