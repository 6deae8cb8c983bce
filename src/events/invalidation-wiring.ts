import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ClientStatusCache } from '../oauth/client-status.cache.js';
import { InvalidationBus } from './invalidation-bus.js';

/**
 * Connects the caches other modules already have to the bus, so that those modules need not
 * know about instances: ClientStatusCache (oauth, the bearer guard's cache) forgets a client on
 * a `client` event from any instance, and everything on `all`.
 *
 * Resolved at bootstrap through ModuleRef (non-strict): the oauth module need not import us.
 */
@Injectable()
export class InvalidationWiring implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(InvalidationWiring.name);
  private readonly teardown: Array<() => void> = [];

  constructor(
    private readonly bus: InvalidationBus,
    private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    const clients = this.optional(ClientStatusCache);
    if (clients) {
      this.teardown.push(
        this.bus.subscribe((event) => {
          if (event.kind === 'client') clients.invalidate(event.clientId);
          else if (event.kind === 'all') clients.invalidateAll();
        }),
      );
    }
    this.logger.log({ transport: this.bus.transportName }, 'cache invalidation wired');
  }

  private optional<T>(token: new (...args: never[]) => T): T | null {
    try {
      return this.moduleRef.get(token, { strict: false });
    } catch {
      return null;
    }
  }

  onModuleDestroy(): void {
    for (const stop of this.teardown.splice(0)) stop();
  }
}
