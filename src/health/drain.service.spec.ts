import { ActiveList } from './active-list.js';
import { DrainService } from './drain.service.js';

describe('ActiveList', () => {
  it('adds, removes once, and lets a removed node go of its value and its neighbours', () => {
    const list = new ActiveList<string>();
    const a = list.add('a');
    const b = list.add('b');
    const c = list.add('c');
    expect(list.values()).toEqual(['c', 'b', 'a']);
    expect(list.remove(b)).toBe(true);
    expect(list.remove(b)).toBe(false);
    expect(b).toEqual({ value: null, prev: null, next: null });
    expect(list.values()).toEqual(['c', 'a']);
    expect(list.remove(c)).toBe(true);
    expect(list.remove(a)).toBe(true);
    expect(list.size).toBe(0);
    expect(list.values()).toEqual([]);
    list.add('d');
    expect(list.values()).toEqual(['d']);
  });
});

describe('DrainService.untilDeadline', () => {
  it('follows the work while the instance runs', async () => {
    const drain = new DrainService();
    await expect(drain.untilDeadline(Promise.resolve(42))).resolves.toBe(42);
    await expect(drain.untilDeadline(Promise.reject(new Error('provider down')))).rejects.toThrow(
      'provider down',
    );
  });

  it('fails the work still waiting at the drain timeout with shutting_down, and any work after it', async () => {
    const drain = new DrainService();
    const never = new Promise<number>(() => undefined);
    await expect(drain.untilDeadline(Promise.resolve('done'))).resolves.toBe('done');
    const waiting = drain.untilDeadline(never);
    // Nothing in flight as requests: drain waits for none and reports none cut short; the
    // deadline comes only when requests outlive the timeout, so give up directly here.
    const outcome = expect(waiting).rejects.toMatchObject({ code: 'shutting_down' });
    (drain as unknown as { giveUpNow(): void }).giveUpNow();
    await outcome;
    expect(drain.deadline.aborted).toBe(true);
    await expect(drain.untilDeadline(Promise.resolve(1))).rejects.toMatchObject({
      code: 'shutting_down',
    });
  });
});
