/**
 * Expiry judged at read time: a pending request or an active consent past its `expiresAt` IS
 * expired, whether or not the lifecycle job has recorded it yet. Every read path goes through
 * these functions, never through the stored status alone.
 */
export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired';
export type ConsentStatusValue = 'active' | 'revoked' | 'expired';

export function requestStatusAt(
  row: { status: RequestStatus; expiresAt: Date },
  now: Date = new Date(),
): RequestStatus {
  return row.status === 'pending' && row.expiresAt.getTime() <= now.getTime()
    ? 'expired'
    : row.status;
}

export function consentStatusAt(
  row: { status: ConsentStatusValue; expiresAt: Date },
  now: Date = new Date(),
): ConsentStatusValue {
  return row.status === 'active' && row.expiresAt.getTime() <= now.getTime()
    ? 'expired'
    : row.status;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids arrive from URLs: anything that is not a uuid is "not found" before it reaches SQL (a `::uuid` cast would fail with a 500). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export const DAY_MS = 24 * 3600 * 1000;
