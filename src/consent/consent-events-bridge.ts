import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { InvalidationBus } from '../events/index.js';
import { ConsentEvents } from './consent-events.js';

/**
 * The consent module's in-process ConsentEvents (revocation, expiry) are published to the other
 * instances, and theirs are replayed into ours, so whatever subscribes to ConsentEvents sees
 * every instance's revocations. Lives in consent (the events' owner) and depends on the events
 * module, never the other way round.
 */
@Injectable()
export class ConsentEventsBridge implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly teardown: Array<() => void> = [];

  constructor(
    private readonly bus: InvalidationBus,
    private readonly consentEvents: ConsentEvents,
  ) {}

  onApplicationBootstrap(): void {
    // True while a remote event is replayed into ConsentEvents: it must not go back out.
    let replaying = false;
    const subscription: Subscription = this.consentEvents.events$.subscribe((e) => {
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
          this.consentEvents.emit({
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

  onModuleDestroy(): void {
    for (const stop of this.teardown.splice(0)) stop();
  }
}
