import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { ConsentEvents } from '../consent/consent-events.js';
import { ClientStatusCache } from '../oauth/client-status.cache.js';
import { InvalidationBus } from './invalidation-bus.js';

/**
 * Connects the caches and event sources other modules already have to the bus, so that those
 * modules need not know about instances:
 *
 * - ClientStatusCache (oauth, the bearer guard's cache) forgets a client on a `client` event
 *   from any instance, and everything on `all`.
 * - The consent module's in-process ConsentEvents (revocation, expiry) are published to the
 *   other instances, and theirs are replayed into ours, so whatever subscribes to ConsentEvents
 *   (the exchange's caches) sees every instance's revocations.
 *
 * Resolved at bootstrap through ModuleRef (non-strict): the consent module need not import us.
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
    const consentEvents = this.optional(ConsentEvents);
    if (consentEvents) this.bridgeConsentEvents(consentEvents);
    this.logger.log(
      { transport: this.bus.transportName, consentEvents: Boolean(consentEvents) },
      'cache invalidation wired',
    );
  }

  private bridgeConsentEvents(consentEvents: ConsentEvents): void {
    // True while a remote event is replayed into ConsentEvents: it must not go back out.
    let replaying = false;
    const subscription: Subscription = consentEvents.events$.subscribe((e) => {
      if (replaying) return;
      void this.bus.publish({
        kind: 'consent',
        consentId: e.consentId,
        clientUuid: e.clientUuid,
        reason: e.type,
      });
    });
    this.teardown.push(() => subscription.unsubscribe());
    this.teardown.push(
      this.bus.subscribe((event, origin) => {
        if (origin !== 'remote' || event.kind !== 'consent') return;
        replaying = true;
        try {
          consentEvents.emit({
            type: event.reason,
            consentId: event.consentId,
            clientUuid: event.clientUuid ?? '',
            occurredAt: new Date(),
          });
        } finally {
          replaying = false;
        }
      }),
    );
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
