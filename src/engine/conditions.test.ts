import { describe, expect, it } from 'vitest';
import { Condition } from '../config/schema.js';
import { checkCondition, holderMove, waitForCondition, type ConditionDeps } from './conditions.js';
import { FakeCluster, fakeInventory } from './testing/fakes.js';
import type { LeaseState, MemberState } from './types.js';

function deps(cluster: FakeCluster, over: Partial<ConditionDeps> = {}): ConditionDeps {
  let now = 0;
  return {
    inventory: cluster.inventory,
    view: cluster,
    remote: cluster,
    baseline: {
      leases: new Map([['kube-system/kube-scheduler', 'node-1_uuid']]),
      etcdLeader: 'a0',
      etcdTerm: '2',
    },
    sleep: async (ms) => void (now += ms / 1000),
    now: () => now,
    ...over,
  };
}
const cond = (c: Record<string, unknown>) => Condition.parse(c);
const lease = (over: Partial<LeaseState>): LeaseState => ({
  lease: 'kube-system/kube-scheduler',
  holder: 'node-1_uuid',
  master: 'master-1',
  transitions: 1,
  renewTime: 't1',
  leaseDurationSeconds: 2,
  resourceVersion: '1',
  ...over,
});

describe('conditions', () => {
  it('leaseHeld needs the holder to renew within one lease duration', async () => {
    const c = new FakeCluster(fakeInventory());
    expect(
      await checkCondition(cond({ check: 'leaseHeld', lease: 'kube-system/kube-scheduler' }), deps(c)),
    ).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/held by node-1_uuid \(master-1\), renewing/),
    });
    c.lease = async () => lease({});
    expect(
      await checkCondition(cond({ check: 'leaseHeld', lease: 'kube-system/kube-scheduler' }), deps(c)),
    ).toMatchObject({
      ok: false,
      detail: 'Lease kube-system/kube-scheduler held by node-1_uuid but not renewed for 3 s',
    });
  });

  it('leaseHeld takes a renewTime younger than one retry period, by the holder master’s clock, without waiting', async () => {
    const c = new FakeCluster(fakeInventory());
    // the run clock reads 100 s; master-1's clock is 1000 s ahead of the run clock's epoch base
    const base = Date.UTC(2026, 11, 6, 8, 0, 0) / 1000;
    const clock = (offsetS: number) =>
      ({
        kind: 'clock',
        master: 'master-1',
        offsetS,
        errS: 0.002,
        samples: 5,
        at: 'preflight',
        seq: 0,
        t: 1,
      }) as const;
    const renewedAt = (s: number) => new Date((base + s) * 1000).toISOString().replace('Z', '000Z');
    let slept = 0;
    const run = (renewTime: string, offsetS: number) => {
      c.lease = async () => lease({ renewTime });
      return checkCondition(
        cond({ check: 'leaseHeld', lease: 'kube-system/kube-scheduler' }),
        deps(c, {
          events: () => [clock(offsetS)],
          now: () => 100 + slept,
          sleep: async (ms) => void (slept += ms / 1000),
          retryPeriodS: () => 2,
        }),
      );
    };
    // renewed 1.5 s ago on master-1's clock (offset: master time = run clock + base)
    expect(await run(renewedAt(98.5), base)).toEqual({
      ok: true,
      detail: 'Lease kube-system/kube-scheduler held by node-1_uuid (master-1), renewing (renewed 1.5 s ago)',
    });
    expect(slept).toBe(0);
    // 5 s ago is older than a retry period plus slack: it waits for a renewal, and sees none
    expect((await run(renewedAt(95), base)).ok).toBe(false);
    expect(slept).toBeGreaterThan(2);
    // the same renewTime through a clock 4 s behind ours: 1 s old, current
    slept = 0;
    expect((await run(renewedAt(95), base - 4)).ok).toBe(true);
    expect(slept).toBe(0);
    // no offset for the master: no way to age it, so it waits
    c.lease = async () => lease({ renewTime: renewedAt(99.9) });
    slept = 0;
    const noClock = await checkCondition(
      cond({ check: 'leaseHeld', lease: 'kube-system/kube-scheduler' }),
      deps(c, {
        events: () => [],
        now: () => 100 + slept,
        sleep: async (ms) => void (slept += ms / 1000),
        retryPeriodS: () => 2,
      }),
    );
    expect(noClock.ok).toBe(false);
    expect(slept).toBeGreaterThan(2);
  });

  it('leaseHolderChanged compares with the holder before the fault, from the watch or a GET', async () => {
    const c = new FakeCluster(fakeInventory());
    const check = cond({ check: 'leaseHolderChanged', lease: 'kube-system/kube-scheduler' });
    expect((await checkCondition(check, deps(c))).ok).toBe(false);
    c.schedulerHolder = 'master-2';
    expect(await checkCondition(check, deps(c))).toMatchObject({
      ok: true,
      detail: 'Lease kube-system/kube-scheduler: node-1_uuid → node-2_uuid',
    });
    c.schedulerHolder = null; // released: not a new holder
    expect((await checkCondition(check, deps(c))).ok).toBe(false);
    const watched = deps(c, {
      events: () => [
        {
          kind: 'lease',
          seq: 1,
          t: 1,
          lease: 'kube-system/kube-scheduler',
          type: 'MODIFIED',
          holder: 'node-3_x',
          master: 'master-3',
          leaseDurationSeconds: 15,
          acquireTime: null,
          renewTime: null,
          transitions: 2,
          resourceVersion: '9',
        },
      ],
    });
    expect((await checkCondition(check, watched)).detail).toMatch(/→ node-3_x/);
  });

  it('leaseHolderChanged: a new identity on the same master is a restart, not a takeover', async () => {
    const c = new FakeCluster(fakeInventory());
    const check = cond({ check: 'leaseHolderChanged', lease: 'kube-system/kube-scheduler' });
    const ev = (seq: number, holder: string, master: string | null) => ({
      kind: 'lease' as const,
      seq,
      t: seq,
      lease: 'kube-system/kube-scheduler',
      type: 'MODIFIED' as const,
      holder,
      master,
      leaseDurationSeconds: 15,
      acquireTime: null,
      renewTime: null,
      transitions: 2,
      resourceVersion: String(seq),
    });
    // the GET still shows the old identity; the watch saw node-1 win it back with a new uuid
    const again = deps(c, { events: () => [ev(1, 'node-1_new', 'master-1')] });
    expect(await checkCondition(check, again)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /reacquired on the same master by node-1_new \(a restart, not a takeover\)/,
      ),
    });
    // the GET shows the reacquired identity
    c.lease = async () => lease({ holder: 'node-1_other' });
    expect((await checkCondition(check, deps(c))).detail).toMatch(/same master by node-1_other/);
    // then another master takes it: that is the takeover
    const later = deps(c, { events: () => [ev(1, 'node-1_new', 'master-1'), ev(2, 'node-2_x', 'master-2')] });
    expect(await checkCondition(check, later)).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/→ node-2_x/),
    });
  });

  it.each([
    ['node-1_uuid', 'node-1_uuid', 'same'],
    ['node-1_uuid', 'node-1_other', 'same-master'],
    ['node-1_uuid', 'node-2_other', 'other'],
    [null, 'node-1_uuid', 'other'],
    // not in the inventory: the host part decides
    ['elsewhere_a', 'elsewhere_b', 'same-master'],
    ['elsewhere_a', 'node-1_b', 'other'],
  ] as const)('holderMove(%j, %j) is %j', (before, holder, expected) => {
    expect(holderMove(before, holder, fakeInventory().masters)).toBe(expected);
  });

  it('etcd checks: healthy, leader changed, caught up', async () => {
    const c = new FakeCluster(fakeInventory());
    expect((await checkCondition(cond({ check: 'etcdHealthy' }), deps(c))).ok).toBe(true);
    expect((await checkCondition(cond({ check: 'etcdLeaderChanged' }), deps(c))).ok).toBe(false);
    c.etcdLeader = 'master-3';
    expect(await checkCondition(cond({ check: 'etcdLeaderChanged' }), deps(c))).toMatchObject({
      ok: true,
      detail: 'etcd leader now master-3 at term 2',
    });
    c.units.set('master-2/etcd', false);
    expect(await checkCondition(cond({ check: 'etcdHealthy' }), deps(c))).toMatchObject({
      ok: false,
      detail: 'etcd: master-2: connection refused',
    });
    const rows: MemberState[] = [
      { master: 'master-1', ok: true, id: 'a0', leader: 'a0', raftIndex: '500' },
      { master: 'master-2', ok: true, id: 'a1', leader: 'a0', raftIndex: '450' },
      { master: 'master-3', ok: true, id: 'a2', leader: 'a0', raftIndex: '300' },
    ];
    c.etcd = async () => rows;
    expect(await checkCondition(cond({ check: 'etcdCaughtUp', maxLag: 100 }), deps(c))).toMatchObject({
      ok: false,
      detail: 'behind the leader: master-3 300',
    });
    // a member just healed from a partition: close to the leader's index, but no leader yet
    const isolated: MemberState[] = [
      { master: 'master-1', ok: true, id: 'a0', leader: 'a0', raftIndex: '858' },
      { master: 'master-2', ok: true, id: 'a1', leader: 'a0', raftIndex: '858' },
      { master: 'master-3', ok: true, id: 'a2', raftIndex: '788', error: 'etcdserver: no leader' },
    ];
    c.etcd = async () => isolated;
    expect(await checkCondition(cond({ check: 'etcdCaughtUp', maxLag: 100 }), deps(c))).toMatchObject({
      ok: false,
      detail: 'behind the leader: master-3 788 (etcdserver: no leader)',
    });
  });

  it('servicesActive asks every master over the remote', async () => {
    const c = new FakeCluster(fakeInventory());
    c.units.set('master-3/kube-apiserver', false);
    expect(
      await checkCondition(cond({ check: 'servicesActive', services: ['kube-apiserver'] }), deps(c)),
    ).toMatchObject({
      ok: false,
      detail: 'not active: kube-apiserver on master-3',
    });
  });

  it('waitForCondition reports what it waits for, elapsed and bound, and gives up at the bound', async () => {
    const c = new FakeCluster(fakeInventory());
    const seen: string[] = [];
    const r = await waitForCondition(cond({ check: 'etcdLeaderChanged' }), deps(c), {
      timeoutS: 1,
      intervalMs: 500,
      onWait: (what, el, bound) => seen.push(`${what} ${el}/${bound}`),
    });
    expect(r).toMatchObject({ ok: false, elapsedS: 1 });
    expect(seen).toEqual(['a new etcd leader 0/1', 'a new etcd leader 0.5/1', 'a new etcd leader 1/1']);
  });
});
