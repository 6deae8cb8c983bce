import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { filter, Observable, Subject } from 'rxjs';

/** A consent stopped being usable: caches keyed on it must drop it now. */
export interface ConsentEvent {
  type: 'revoked' | 'expired';
  consentId: string;
  /** Client.id (uuid) of the requesting service. */
  clientUuid: string;
  occurredAt: Date;
}

/**
 * In-process fan-out of consent lifecycle events. The exchange's caches subscribe here; the
 * multi-instance work will bridge this same stream to Redis pub/sub (or PostgreSQL NOTIFY) so
 * that a revocation on one instance reaches every other one. Nothing relies on it for
 * correctness today: every fetch re-reads the consent row, so a missed event only costs a cache
 * entry's lifetime, never an access after revocation.
 *
 *   consentEvents.events$.subscribe((e) => cache.delete(e.consentId));
 */
@Injectable()
export class ConsentEvents implements OnModuleDestroy {
  private readonly subject = new Subject<ConsentEvent>();
  readonly events$: Observable<ConsentEvent> = this.subject.asObservable();

  emit(event: ConsentEvent): void {
    this.subject.next(event);
  }

  on(type: ConsentEvent['type']): Observable<ConsentEvent> {
    return this.events$.pipe(filter((e) => e.type === type));
  }

  onModuleDestroy(): void {
    this.subject.complete();
  }
}
