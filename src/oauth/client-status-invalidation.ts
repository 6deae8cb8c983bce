import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InvalidationBus } from '../events/index.js';
import { ClientStatusCache } from './client-status.cache.js';

/**
 * The bearer guard's ClientStatusCache forgets a client on a `client` event from any instance,
 * and everything on `all`. Lives in oauth (the cache's owner) and depends on events, never the
 * other way round: the events module knows no module that listens to it.
 */
@Injectable()
export class ClientStatusInvalidation implements OnApplicationBootstrap, OnModuleDestroy {
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: InvalidationBus,
    private readonly clients: ClientStatusCache,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.bus.subscribe((event) => {
      if (event.kind === 'client') this.clients.invalidate(event.clientId);
      else if (event.kind === 'all') this.clients.invalidateAll();
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
