import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { AppConfig } from '../config/index.js';
import { InvalidationBus, parseWireMessage, type InvalidationEvent } from './invalidation-bus.js';

type Received = Array<{ event: InvalidationEvent; origin: string }>;

function busWith(settings: Partial<AppConfig>): InvalidationBus {
  return new InvalidationBus({ redisKeyPrefix: 'passerelle:', ...settings } as AppConfig);
}

function collect(bus: InvalidationBus): Received {
  const received: Received = [];
  bus.subscribe((event, origin) => received.push({ event, origin }));
  return received;
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('parseWireMessage', () => {
  const ok = { v: 1, from: 'x', event: { kind: 'client', clientId: 'c' } };
  it('accepts a well-formed message', () => {
    expect(parseWireMessage(JSON.stringify(ok))).toEqual(ok);
  });
  it.each([
    ['not JSON', '{'],
    ['another version', JSON.stringify({ ...ok, v: 2 })],
    ['no sender', JSON.stringify({ ...ok, from: 3 })],
    ['unknown kind', JSON.stringify({ ...ok, event: { kind: 'drop_table' } })],
    ['missing id', JSON.stringify({ ...ok, event: { kind: 'client' } })],
    ['non-string id', JSON.stringify({ ...ok, event: { kind: 'client', clientId: {} } })],
    [
      'oversized id',
      JSON.stringify({ ...ok, event: { kind: 'client', clientId: 'x'.repeat(201) } }),
    ],
    [
      'a kind no cache uses',
      JSON.stringify({ ...ok, event: { kind: 'consent', consentId: 'c', reason: 'revoked' } }),
    ],
    ['null', 'null'],
  ])('refuses %s', (_label, raw) => {
    expect(parseWireMessage(raw)).toBeNull();
  });
});

describe('InvalidationBus in process (no Redis, embedded database)', () => {
  it('delivers synchronously to local subscribers, until they unsubscribe', async () => {
    const bus = busWith({});
    await bus.onModuleInit();
    expect(bus.transportName).toBe('local');
    const received: Received = [];
    const stop = bus.subscribe((event, origin) => received.push({ event, origin }));
    const pending = bus.publish({ kind: 'client', clientId: 'c1' });
    // Delivered before publish() even resolves: the publishing instance is never stale.
    expect(received).toEqual([{ event: { kind: 'client', clientId: 'c1' }, origin: 'local' }]);
    await pending;
    stop();
    await bus.publish({ kind: 'client', clientId: 'c2' });
    expect(received).toHaveLength(1);
    await bus.onModuleDestroy();
  });

  it('keeps delivering when one subscriber throws', async () => {
    const bus = busWith({});
    bus.subscribe(() => {
      throw new Error('boom');
    });
    const received = collect(bus);
    await bus.publish({ kind: 'all' });
    expect(received).toHaveLength(1);
  });
});

/** Two buses on one broker behave as two instances. */
/**
 * Two buses on one transport. Without that transport (`skipReason` set), the same tests are
 * registered as skipped, with the reason in the block's name, so jest lists each one as skipped.
 */
function acrossInstances(
  name: string,
  skipReason: string | undefined,
  settings: () => Partial<AppConfig>,
  sendRaw: (channel: string, raw: string) => Promise<void>,
) {
  if (skipReason) console.log(`${name}: skipped, ${skipReason}`);
  const block = skipReason ? describe.skip : describe;
  block(skipReason ? `${name} (skipped: ${skipReason})` : name, () => {
    const prefix = `passerelle-test:${randomBytes(6).toString('hex')}:`;
    let a: InvalidationBus;
    let b: InvalidationBus;
    beforeAll(async () => {
      a = busWith({ ...settings(), redisKeyPrefix: prefix });
      b = busWith({ ...settings(), redisKeyPrefix: prefix });
      await Promise.all([a.onModuleInit(), b.onModuleInit()]);
    });
    afterAll(async () => {
      await Promise.all([a?.onModuleDestroy(), b?.onModuleDestroy()]);
    });

    it('delivers an event published on one instance to the other, once', async () => {
      const onA = collect(a);
      const onB = collect(b);
      const event: InvalidationEvent = { kind: 'client', clientId: 'c-1' };
      const started = process.hrtime.bigint();
      await a.publish(event);
      await until(() => onB.length > 0);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(`${name}: invalidation reached the other instance in ${ms.toFixed(2)} ms`);
      expect(onB).toEqual([{ event, origin: 'remote' }]);
      // The publisher got it locally, and does not get its own message back from the broker.
      await new Promise((r) => setTimeout(r, 50));
      expect(onA).toEqual([{ event, origin: 'local' }]);
    });

    it('ignores malformed messages on the channel', async () => {
      const onB = collect(b);
      await sendRaw(`${prefix}invalidation`, '{"v":1,"from":"evil","event":{"kind":"nope"}}');
      await sendRaw(`${prefix}invalidation`, 'not json');
      await a.publish({ kind: 'client', clientId: 'c-2' });
      await until(() => onB.length > 0);
      expect(onB).toEqual([{ event: { kind: 'client', clientId: 'c-2' }, origin: 'remote' }]);
    });
  });
}

const redisUrl = process.env.REDIS_URL;
acrossInstances(
  'InvalidationBus over Redis pub/sub',
  redisUrl ? undefined : 'REDIS_URL is not set',
  () => ({ redisUrl }),
  async (channel, raw) => {
    const redis = new Redis(redisUrl!);
    await redis.publish(channel, raw);
    redis.disconnect();
  },
);

const databaseUrl = process.env.DATABASE_URL;
acrossInstances(
  'InvalidationBus over PostgreSQL LISTEN/NOTIFY',
  databaseUrl ? undefined : 'DATABASE_URL is not set',
  () => ({ databaseUrl }),
  async (channel, raw) => {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query('SELECT pg_notify($1, $2)', [channel, raw]);
    await client.end();
  },
);
