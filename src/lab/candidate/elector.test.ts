import { describe, expect, it } from 'vitest';
import { LeaderElector, validateTimings, type ElectorEvent } from './elector.js';
import { LeaseApiError } from './lease.js';
import { LeaseLock } from './lease-lock.js';
import { formatMicroTime } from '../../kube/microtime.js';
import { LeaseStore, MemoryLeaseApi } from './testing/lease-store.js';

const NS = 'kube-system';
const NAME = 'kube-scheduler';
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** A fake clock: sleeping advances it at once, so whole loops run in microseconds. */
function harness(
  identity: string,
  opts: {
    store?: LeaseStore;
    releaseOnCancel?: boolean;
    random?: number;
    timings?: [number, number, number];
  } = {},
) {
  const store = opts.store ?? new LeaseStore();
  const api = new MemoryLeaseApi(store);
  const clock = { mono: 1_000_000, wall: Date.UTC(2024, 4, 1, 10, 0, 0) };
  const events: ElectorEvent[] = [];
  const sleeps: number[] = [];
  const [leaseDurationMs, renewDeadlineMs, retryPeriodMs] = opts.timings ?? [15_000, 10_000, 2_000];
  const elector = new LeaderElector(
    {
      lock: new LeaseLock(api, NS, NAME, identity),
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
      releaseOnCancel: opts.releaseOnCancel ?? false,
    },
    {
      now: () => clock.mono,
      microTime: () => formatMicroTime(clock.wall + (clock.mono - 1_000_000)),
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.mono += ms;
        // let timers (the test's own) run between iterations
        await new Promise((resolve) => setImmediate(resolve));
      },
      random: () => opts.random ?? 0.5,
      emit: (e) => events.push(e),
    },
  );
  const advance = (ms: number): void => {
    clock.mono += ms;
  };
  return { store, api, clock, events, sleeps, elector, advance };
}

const never = new AbortController().signal;

describe('validateTimings (as client-go NewLeaderElector)', () => {
  it.each([
    [15_000, 10_000, 2_000, 0],
    [4_000, 3_000, 1_000, 0],
    [10_000, 10_000, 2_000, 1],
    [15_000, 2_400, 2_000, 1],
    [15_000, 2_401, 2_000, 0],
    [15_000, 10_000, 0, 1],
  ])('lease %i renew %i retry %i → %i problems', (leaseDurationMs, renewDeadlineMs, retryPeriodMs, n) => {
    expect(validateTimings({ leaseDurationMs, renewDeadlineMs, retryPeriodMs })).toHaveLength(n);
  });
});

describe('tryAcquireOrRenew', () => {
  it('creates a missing Lease with transitions 0 and MicroTime fields', async () => {
    const h = harness('master-1_a');
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(true);
    const lease = h.store.get(NS, NAME);
    expect(lease.spec).toMatchObject({
      holderIdentity: 'master-1_a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(lease.spec.acquireTime).toMatch(MICRO);
    expect(lease.spec.renewTime).toBe(lease.spec.acquireTime);
    expect(h.api.calls).toEqual(['GET', 'POST']);
    expect(h.events.map((e) => e.event)).toEqual(['acquired']);
    expect(h.events[0]).toMatchObject({ holder: 'master-1_a', transitions: 0, resourceVersion: '1' });
  });

  it('judges expiry from its own observation time, never from renewTime', async () => {
    const store = new LeaseStore();
    // renewTime far in the past: a clock-comparing implementation would take it at once.
    store.put(NS, NAME, {
      holderIdentity: 'master-2_b',
      leaseDurationSeconds: 15,
      acquireTime: '2000-01-01T00:00:00.000000Z',
      renewTime: '2000-01-01T00:00:00.000000Z',
      leaseTransitions: 4,
    });
    const h = harness('master-1_a', { store });
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(false);
    h.advance(14_900);
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(false);
    h.advance(200);
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(true);
    expect(store.get(NS, NAME).spec).toMatchObject({ holderIdentity: 'master-1_a', leaseTransitions: 5 });
  });

  it('a changed record restarts the observation, even with a renewTime in the future', async () => {
    const store = new LeaseStore();
    const spec = (renewTime: string) => ({
      holderIdentity: 'master-2_b',
      leaseDurationSeconds: 15,
      acquireTime: '2099-01-01T00:00:00.000000Z',
      renewTime,
      leaseTransitions: 1,
    });
    store.put(NS, NAME, spec('2099-01-01T00:00:00.000000Z'));
    const h = harness('master-1_a', { store });
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(false);
    h.advance(10_000);
    store.put(NS, NAME, spec('2099-01-01T00:00:10.000000Z')); // the holder renewed
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(false);
    h.advance(10_000); // 20 s after the first sight, 10 s after the renewal: still valid
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(false);
    h.advance(5_001);
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(true);
  });

  it('a released Lease (holder "") is free at once and counts a transition', async () => {
    const store = new LeaseStore();
    const now = formatMicroTime(Date.now());
    store.put(NS, NAME, {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 7,
    });
    const h = harness('master-3_c', { store });
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(true);
    expect(store.get(NS, NAME).spec).toMatchObject({
      holderIdentity: 'master-3_c',
      leaseDurationSeconds: 15,
      leaseTransitions: 8,
    });
  });

  it('renewing keeps acquireTime and transitions, moves renewTime, and skips the GET', async () => {
    const h = harness('master-1_a');
    await h.elector.tryAcquireOrRenew(never);
    const first = h.store.get(NS, NAME).spec;
    h.advance(2_000);
    h.api.calls = [];
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(true);
    const second = h.store.get(NS, NAME).spec;
    expect(h.api.calls).toEqual(['PUT']);
    expect(second.acquireTime).toBe(first.acquireTime);
    expect(second.leaseTransitions).toBe(0);
    expect(second.renewTime).not.toBe(first.renewTime);
    expect(second.renewTime).toMatch(MICRO);
    expect(h.events.map((e) => e.event)).toEqual(['acquired', 'renewed']);
  });

  it('a write that loses the race (409) fails the try; the winner keeps the Lease', async () => {
    const store = new LeaseStore();
    store.put(NS, NAME, { holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2 });
    const a = harness('master-1_a', { store });
    a.api.beforeUpdate = () =>
      store.put(NS, NAME, { holderIdentity: 'master-2_b', leaseDurationSeconds: 15, leaseTransitions: 3 });
    expect(await a.elector.tryAcquireOrRenew(never)).toBe(false);
    expect(store.get(NS, NAME).spec.holderIdentity).toBe('master-2_b');
    expect(a.events).toHaveLength(1);
    expect(a.events[0]).toMatchObject({ event: 'error' });
    expect(a.events[0]?.message).toMatch(/Conflict|modified/);
    expect(a.elector.isLeader()).toBe(false);
  });

  it('a leader whose fast-path PUT conflicts falls back to GET and sees the new holder', async () => {
    const h = harness('master-1_a');
    await h.elector.tryAcquireOrRenew(never);
    h.store.put(NS, NAME, { holderIdentity: 'master-2_b', leaseDurationSeconds: 15, leaseTransitions: 1 });
    h.api.calls = [];
    expect(await h.elector.tryAcquireOrRenew(never)).toBe(false);
    expect(h.api.calls).toEqual(['PUT', 'GET']);
    expect(h.elector.isLeader()).toBe(false);
  });
});

describe('run', () => {
  it.each([
    [0, 2_000],
    [0.999, 2_000 + 0.999 * 1.2 * 2_000],
  ])('acquire tries sleep retryPeriod × (1 + rand × 1.2): rand %d → %d ms', async (random, expected) => {
    const store = new LeaseStore();
    store.put(NS, NAME, { holderIdentity: 'other_x', leaseDurationSeconds: 15, leaseTransitions: 0 });
    const h = harness('master-1_a', { store, random });
    const stop = new AbortController();
    const acquired = h.elector.acquire(stop.signal);
    expect(await acquired).toBe(true);
    // The other holder never renewed: every sleep before the takeover is a jittered retry, and
    // the takeover comes once 15 s passed since the first sight.
    expect(h.sleeps.length).toBeGreaterThan(1);
    for (const ms of h.sleeps) expect(ms).toBeCloseTo(expected, 6);
    expect(h.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(15_000);
    expect(h.sleeps.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThan(15_000);
    expect(store.get(NS, NAME).spec.leaseTransitions).toBe(1);
  });

  it('a leader that cannot renew within renewDeadline loses (and tries every retryPeriod)', async () => {
    const h = harness('master-1_a');
    const outcome = h.elector.run(never);
    await new Promise((r) => setTimeout(r, 5));
    h.api.fail = new LeaseApiError(0, 'Transport', 'connect ECONNREFUSED');
    expect(await outcome).toBe('lost');
    const lost = h.events.find((e) => e.event === 'lost');
    expect(lost).toBeDefined();
    const afterFail = h.api.calls.length;
    expect(afterFail).toBeGreaterThan(2);
    // one round: tries at 0, 2, 4, 6, 8 s of a 10 s deadline → 5 fast-path PUTs + 5 GETs
    const last = h.sleeps.slice(-5);
    expect(last).toEqual([2_000, 2_000, 2_000, 2_000, 2_000]);
  });

  it('release on cancel writes holder "", leaseDurationSeconds 1 and keeps transitions', async () => {
    const store = new LeaseStore();
    store.put(NS, NAME, { holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 3 });
    const h = harness('master-1_a', { store, releaseOnCancel: true });
    const stop = new AbortController();
    const run = h.elector.run(stop.signal);
    await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    expect(await run).toBe('released');
    const spec = store.get(NS, NAME).spec;
    expect(spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 4 });
    expect(spec.acquireTime).toMatch(MICRO);
    expect(spec.renewTime).toBe(spec.acquireTime);
    expect(h.events.at(-1)).toMatchObject({ event: 'released', holder: '', transitions: 4 });
  });

  it('releases on stop even when the renew cut short by the stop reached the server', async () => {
    const h = harness('master-1_a', { releaseOnCancel: true });
    const stop = new AbortController();
    const run = h.elector.run(stop.signal);
    await new Promise((r) => setTimeout(r, 5));
    expect(h.elector.isLeader()).toBe(true);
    // the next renew is stored, but the stop aborts it before its answer arrives
    h.api.beforeUpdate = () => stop.abort();
    h.api.loseNextUpdateResponse = new LeaseApiError(0, 'Aborted', 'This operation was aborted');
    expect(await run).toBe('released');
    expect(h.store.get(NS, NAME).spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(h.events.filter((e) => e.event === 'error')).toEqual([]);
  });

  it('after a 409 on release, a Lease that is no longer ours is left alone', async () => {
    const h = harness('master-1_a', { releaseOnCancel: true });
    const stop = new AbortController();
    const run = h.elector.run(stop.signal);
    await new Promise((r) => setTimeout(r, 5));
    h.api.beforeUpdate = () => stop.abort();
    h.api.loseNextUpdateResponse = new LeaseApiError(0, 'Aborted', 'This operation was aborted');
    // meanwhile another writer takes the Lease (the stored renew is overwritten)
    const taken = h.api.beforeUpdate;
    h.api.beforeUpdate = () => {
      taken();
      queueMicrotask(() => h.store.put(NS, NAME, { holderIdentity: 'master-2_b', leaseDurationSeconds: 15 }));
    };
    expect(await run).toBe('stopped');
    expect(h.store.get(NS, NAME).spec.holderIdentity).toBe('master-2_b');
    expect(h.events.at(-1)).toMatchObject({ event: 'error', message: expect.stringMatching(/release/) });
  });

  it('without release on cancel the Lease is left to expire', async () => {
    const h = harness('master-1_a', { releaseOnCancel: false });
    const stop = new AbortController();
    const run = h.elector.run(stop.signal);
    await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    expect(await run).toBe('stopped');
    expect(h.store.get(NS, NAME).spec.holderIdentity).toBe('master-1_a');
  });
});
