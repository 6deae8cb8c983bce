import type { Request } from 'express';
import { SignJWT } from 'jose';
import { addressBucket, claimedClientId, isOperationsPath } from './rate-limit.guard.js';

const req = (headers: Record<string, string>, body: unknown = {}) =>
  ({ headers, body }) as unknown as Request;

describe('addressBucket', () => {
  it('keeps IPv4 addresses, and IPv4-mapped IPv6 as IPv4', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
  it('cuts IPv6 to its /64, so rotating the interface id does not give a fresh budget', () => {
    expect(addressBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
  });
});

describe('claimedClientId', () => {
  it('reads HTTP Basic, the form, or the assertion subject', async () => {
    const basic = Buffer.from('client-a:secret').toString('base64');
    expect(claimedClientId(req({ authorization: `Basic ${basic}` }))).toBe('client-a');
    expect(claimedClientId(req({}, { client_id: 'client-b' }))).toBe('client-b');
    const assertion = await new SignJWT({ sub: 'client-c' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(32));
    expect(claimedClientId(req({}, { client_assertion: assertion }))).toBe('client-c');
  });
  it('form-decodes the Basic user as authentication does (RFC 6749 §2.3.1): one id, one bucket', () => {
    const basic = (user: string) => `Basic ${Buffer.from(`${user}:secret`).toString('base64')}`;
    expect(claimedClientId(req({ authorization: basic('%61bc') }))).toBe('abc');
    expect(claimedClientId(req({ authorization: basic('a%62%63') }))).toBe('abc');
    expect(claimedClientId(req({ authorization: basic('a+b') }))).toBe('a b');
    expect(claimedClientId(req({ authorization: basic('%zz') }))).toBe('%zz');
  });
  it('falls back to no client on anything malformed, and bounds the length', () => {
    expect(claimedClientId(req({ authorization: 'Basic !!!' }))).toBe('');
    expect(claimedClientId(req({}, { client_assertion: 'not.a.jwt' }))).toBe('');
    expect(claimedClientId(req({}, { client_id: 'x'.repeat(5000) }))).toHaveLength(200);
    expect(claimedClientId(req({}, undefined))).toBe('');
  });
});

describe('isOperationsPath', () => {
  it('matches probes and metrics only', () => {
    expect(isOperationsPath('/health/live')).toBe(true);
    expect(isOperationsPath('/health/ready')).toBe(true);
    expect(isOperationsPath('/metrics')).toBe(true);
    expect(isOperationsPath('/healthz')).toBe(false);
    expect(isOperationsPath('/api/v1/metrics')).toBe(false);
  });
});
