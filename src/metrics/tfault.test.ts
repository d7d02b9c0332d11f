/**
 * Recorded timelines with known fault brackets and clock offsets replayed through the metrics:
 * every duration starts at t_fault (or, for what happened during a graceful stop before its
 * process left, at the stop's start), its ± includes t_fault's uncertainty, none is negative,
 * and a master whose clock is seconds off is mapped through its measured offset.
 */
import { describe, expect, it } from 'vitest';
import { TimelineBuilder, WALL } from '../../test/fixtures/timelines/builder.js';
import type { NewEvent } from '../timeline/events.js';
import { computeMetrics } from './compute.js';
import type { MetricResult } from './types.js';

const W = Date.parse(WALL) / 1000;
const A = 'master-2_aaaa';
const B = 'master-1_bbbb';

/** An inject step sent at `start`, returned at `end`, its fault at `t` ± `err` on `master`. */
function slowInject(
  tb: TimelineBuilder,
  o: {
    start: number;
    end: number;
    t: number;
    err: number;
    master: string;
    action?: string;
    index?: number;
    service?: string;
    /** systemd's ActiveExitTimestamp, mapped */
    stopStart?: number;
  },
): TimelineBuilder {
  const step = {
    kind: 'step' as const,
    phase: 'inject' as const,
    index: o.index ?? 0,
    action: o.action ?? 'stopService',
    targets: [o.master],
  };
  tb.add(o.start, { ...step, state: 'start' });
  tb.add(o.end, {
    ...step,
    state: 'end',
    ok: true,
    brackets: [{ master: o.master, start: W + o.start + 0.02, end: W + o.end - 0.02 }],
  });
  const fault: NewEvent = {
    kind: 'fault',
    index: o.index ?? 0,
    action: o.action ?? 'stopService',
    master: o.master,
    ...(o.service ? { service: o.service } : {}),
    source: 'unit-exit',
    tFault: o.t,
    lo: o.t - o.err,
    hi: o.t + o.err,
    bracket: { start: o.start + 0.02, end: o.end - 0.02 },
    commandStart: o.start,
    commandEnd: o.end,
    ...(o.stopStart !== undefined ? { stopStart: o.stopStart } : {}),
    offsetS: W,
    offsetErrS: o.err,
    note: "systemd's ExecMainExitTimestamp",
  };
  return tb.add(o.end + 0.01, fault);
}

/** A clock estimate: the master's clock is `skew` s off the run header's wall time. */
const clock = (master: string, skew: number, errS: number): NewEvent => ({
  kind: 'clock',
  master,
  offsetS: W + skew,
  errS,
  samples: 4,
  at: 'preflight',
});

function heldByA(tb: TimelineBuilder, last: number): TimelineBuilder {
  for (let t = 0; t <= last; t += 2)
    tb.lease(t + 0.01, A, { renew: t, acquire: 0, transitions: 1, type: t === 0 ? 'LIST' : 'MODIFIED' });
  return tb;
}

const get = (ms: MetricResult[], name: string): MetricResult => {
  const m = ms.find((x) => x.name === name);
  if (!m) throw new Error(`no ${name}`);
  return m;
};

describe('Lease metrics from t_fault', () => {
  // a 0.8 s stop; the process left at 10.3; the new holder on master-1, whose clock is 2.2 s
  // behind, wrote acquireTime at true run time 13.0 (its clock: 10.8)
  const crashed = () =>
    slowInject(heldByA(new TimelineBuilder(), 10).add(0.5, clock('master-1', -2.2, 0.003)), {
      start: 10,
      end: 10.8,
      t: 10.3,
      err: 0.004,
      master: 'master-2',
    });
  const crash = () => crashed().lease(13.01, B, { renew: 13 - 2.2, acquire: 13 - 2.2, transitions: 2 });

  it('takeover: the new holder’s acquireTime (its master 2.2 s behind, mapped) from the process leaving; the watch event bounds it', () => {
    const m = get(computeMetrics(crash().build()), 'lease.takeover_s');
    expect(m.value).toBeCloseTo(2.7, 6);
    // [acquireTime − its offset's ±, the event + the watch's granularity] + t_fault's ±
    expect(m.errorS).toBeCloseTo(13.02 - 13 + 0.003001 + 0.004, 6);
    expect(m.note).toMatch(/from t_fault \(unit-exit on master-2/);
  });

  it('takeover: the watch delivered the write 400 ms late (a loaded API server): still from acquireTime, inside the ±', () => {
    const tb = crashed().lease(13.4, B, { renew: 13 - 2.2, acquire: 13 - 2.2, transitions: 2 });
    const m = get(computeMetrics(tb.build()), 'lease.takeover_s');
    expect(m.value).toBeCloseTo(2.7, 6);
    // the component logs its takeover once its PUT returned (8 ms)
    expect(Math.abs(m.value! - (13.008 - 10.3))).toBeLessThanOrEqual(m.errorS);
  });

  it('takeover without the new holder’s clock offset: the watch event', () => {
    const tb = slowInject(heldByA(new TimelineBuilder(), 10), {
      start: 10,
      end: 10.8,
      t: 10.3,
      err: 0.004,
      master: 'master-2',
    }).lease(13.01, B, { renew: 13, acquire: 13, transitions: 2 });
    const m = get(computeMetrics(tb.build()), 'lease.takeover_s');
    expect(m.value).toBeCloseTo(2.71, 6);
    expect(m.errorS).toBeCloseTo(0.014, 6);
  });

  it('leaderless: from the new holder’s acquireTime (its master 2.2 s behind, mapped); the watch event bounds it from above', () => {
    const m = get(computeMetrics(crash().build()), 'lease.leaderless_s');
    expect(m.value).toBeCloseTo(2.7, 6);
    // the write lies in [acquireTime − its offset's ±, the event + the watch's granularity]
    expect(m.errorS).toBeCloseTo(0.02 + 0.004, 6);
    expect(m.note).toMatch(/acquireTime by master-1_bbbb at 13\.000 s/);
  });

  it('leaderless: the component logs the takeover after its PUT returns (15 ms): inside the ±', () => {
    const m = get(computeMetrics(crash().build()), 'lease.leaderless_s');
    const truth = 13.0 + 0.015 - 10.3;
    expect(Math.abs(m.value! - truth)).toBeLessThanOrEqual(m.errorS);
  });

  it('leaderless after a blind watch: from acquireTime, the late event as the upper bound', () => {
    const tb = crashed()
      .blind(12.5, 'lease', 'kube-system/kube-scheduler', 'start')
      .blind(13.4, 'lease', 'kube-system/kube-scheduler', 'end')
      .lease(13.45, B, { renew: 13.4 - 2.2, acquire: 13 - 2.2, transitions: 2 });
    const m = get(computeMetrics(tb.build()), 'lease.leaderless_s');
    expect(m.value).toBeCloseTo(2.7, 6);
    expect(m.errorS).toBeCloseTo(13.45 + 0.01 - 13 + 0.004, 6);
  });

  // a graceful stop of 1 s: the holder released at 10.2, the standby took it (seen at 10.5),
  // and only then did the process leave (10.9): counted from the stop's start, never negative
  const releaseBeforeExit = () =>
    slowInject(heldByA(new TimelineBuilder(), 10).add(0.5, clock('master-1', 0, 0.002)), {
      start: 10,
      end: 11,
      t: 10.9,
      err: 0.002,
      master: 'master-2',
    })
      .lease(10.21, null, { renew: 10.2, acquire: 10.2, transitions: 1, duration: 1 })
      .lease(10.5, B, { renew: 10.49, acquire: 10.49, transitions: 2 });

  it('a Lease released during a graceful stop: from the stop’s start, and the note says so', () => {
    const ms = computeMetrics(releaseBeforeExit().build());
    const takeover = get(ms, 'lease.takeover_s');
    // the master's bracket started 0.02 s after the laptop sent the command; acquired at 10.49
    expect(takeover.value).toBeCloseTo(0.47, 6);
    expect(takeover.value!).toBeGreaterThanOrEqual(0);
    expect(takeover.note).toMatch(/counted from the stop's start/);
    const leaderless = get(ms, 'lease.leaderless_s');
    expect(leaderless.value).toBeCloseTo(0.47, 6);
    expect(leaderless.note).toMatch(/counted from the stop's start/);
  });
});

describe("a graceful stop timed from systemd's ActiveExitTimestamp", () => {
  // the master's clock is 3.7 s ahead of the laptop's; systemd began the stop (the unit left
  // `active`) 12 ms after the command's bracket started, the scheduler released at once and the
  // standby took the Lease before the process had left
  const run = () =>
    slowInject(heldByA(new TimelineBuilder(), 10).add(0.5, clock('master-1', 3.7, 0.001)), {
      start: 10,
      end: 11,
      t: 10.9,
      err: 0.001,
      master: 'master-2',
      stopStart: 10.032,
    })
      .lease(10.21, null, { renew: 10.2 + 3.7, acquire: 10.2 + 3.7, transitions: 1, duration: 1 })
      .lease(10.5, B, { renew: 10.49 + 3.7, acquire: 10.49 + 3.7, transitions: 2 });

  it("takeover and leaderless count from the stop's start as systemd recorded it, not the bracket's", () => {
    const ms = computeMetrics(run().build());
    const takeover = get(ms, 'lease.takeover_s');
    expect(takeover.value).toBeCloseTo(10.49 - 10.032, 6);
    expect(takeover.errorS).toBeCloseTo(10.51 - 10.49 + 0.001001 + 0.001, 6);
    expect(takeover.note).toMatch(/systemd's ActiveExitTimestamp/);
    const leaderless = get(ms, 'lease.leaderless_s');
    expect(leaderless.value).toBeCloseTo(10.49 - 10.032, 6);
    // acquireTime 10.49 (mapped through the 3.7 s offset); the event at 10.5 bounds it from above
    expect(leaderless.errorS).toBeCloseTo(0.02 + 0.001, 6);
  });
});

describe('raft metrics from t_fault', () => {
  /** Every member polled each 0.1 s from 9 s: leader `before` (term 2) until `switchAt`, then master-2 (term 3). */
  function polls(
    tb: TimelineBuilder,
    switchAt: number,
    down: { master: string; from: number; to: number } | null,
  ) {
    for (let i = 90; i <= 160; i++) {
      const t = i / 10;
      for (const m of ['master-1', 'master-2', 'master-3']) {
        if (down && m === down.master && t > down.from && t < down.to) {
          tb.raft(t, m, { ok: false });
          continue;
        }
        const after = t >= switchAt;
        tb.raft(t, m, { leader: after ? 'master-2' : 'master-1', term: after ? 3 : 2, index: 100 });
      }
    }
    return tb;
  }

  it('reelection: from the leader’s exit (10.3), the election seen at 11.3 ± 0.05 (+ t_fault’s ± 0.003)', () => {
    const tb = slowInject(new TimelineBuilder(), {
      start: 10,
      end: 10.05,
      t: 10.3 - 0.25, // the kill's exit, inside a short command
      err: 0.003,
      master: 'master-1',
      action: 'killService',
    });
    const ms = computeMetrics(polls(tb, 11.3, { master: 'master-1', from: 10.05, to: 15 }).build());
    const m = get(ms, 'raft.reelection_s');
    expect(m.value).toBeCloseTo(11.25 - 10.05, 6);
    expect(m.errorS).toBeCloseTo(0.05 + 0.003, 6);
  });

  it('a leadership handed over before the stopped leader exited: from the stop’s start, never negative', () => {
    const tb = slowInject(new TimelineBuilder(), {
      start: 10,
      end: 10.7,
      t: 10.6,
      err: 0.002,
      master: 'master-1',
    });
    const m = get(computeMetrics(polls(tb, 10.2, null).build()), 'raft.reelection_s');
    expect(m.value!).toBeGreaterThanOrEqual(0);
    expect(m.value).toBeCloseTo(10.15 - 10.02, 6);
    expect(m.note).toMatch(/counted from the stop's start/);
  });

  it('catch-up: from the member’s real restart (systemd), not the restore step 5 s later', () => {
    const tb = slowInject(new TimelineBuilder(), {
      start: 10,
      end: 10.05,
      t: 10.04,
      err: 0.003,
      master: 'master-1',
      action: 'killService',
    });
    polls(tb, 11.3, { master: 'master-1', from: 10.05, to: 15.05 });
    tb.add(15.02, {
      kind: 'unitStart',
      master: 'master-1',
      service: 'etcd',
      tStart: 15.0,
      errS: 0.004,
      restarts: 1,
    });
    tb.restore(20.5, ['master-1'], true, 20);
    const m = get(computeMetrics(tb.build()), 'raft.catchup_s');
    expect(m.value).toBeCloseTo(15.1 - 15.0, 6);
    expect(m.note).toMatch(/real start/);
  });
});

describe('a drill of several faults (master-down)', () => {
  it("etcd's election is timed from etcd's kill, not from the first step's", () => {
    const tb = new TimelineBuilder();
    slowInject(tb, {
      start: 9,
      end: 9.05,
      t: 9.04,
      err: 0.003,
      master: 'master-1',
      action: 'killService',
      service: 'kube-scheduler',
    });
    slowInject(tb, {
      start: 10,
      end: 10.05,
      t: 10.04,
      err: 0.003,
      master: 'master-1',
      action: 'killService',
      service: 'etcd',
      index: 1,
    });
    for (let i = 85; i <= 130; i++) {
      const t = i / 10;
      for (const m of ['master-1', 'master-2', 'master-3']) {
        if (m === 'master-1' && t > 10.05) tb.raft(t, m, { ok: false });
        else tb.raft(t, m, { leader: t >= 11.3 ? 'master-2' : 'master-1', term: t >= 11.3 ? 3 : 2 });
      }
    }
    const m = get(computeMetrics(tb.build()), 'raft.reelection_s');
    expect(m.value).toBeCloseTo(11.25 - 10.04, 6);
    expect(m.note).toMatch(/inject step 2, unit-exit on master-1/);
  });
});

describe('outages from t_fault', () => {
  it('etcd.write_outage_s: a gap spanning the fault counts from it', () => {
    const tb = slowInject(new TimelineBuilder(), {
      start: 10,
      end: 10.05,
      t: 10.3,
      err: 0.003,
      master: 'master-1',
    });
    for (let i = 90; i <= 130; i++) tb.write(i / 10, i / 10 <= 10.25 || i / 10 >= 11.5);
    const m = get(computeMetrics(tb.build()), 'etcd.write_outage_s');
    expect(m.value).toBeCloseTo(11.5 - 10.3, 6);
    expect(m.errorS).toBeCloseTo(0.1 + 0.003, 6);
    expect(m.note).toMatch(/counted from t_fault/);
  });

  it('a timeline recorded before t_fault existed still reads: from t_inject, as then', () => {
    const tb = new TimelineBuilder().inject(10.5, ['master-2']);
    for (let i = 90; i <= 130; i++) tb.write(i / 10, i / 10 <= 10.2 || i / 10 >= 11.5);
    const m = get(computeMetrics(tb.build()), 'etcd.write_outage_s');
    expect(m.value).toBeCloseTo(11.5 - 10.2, 6);
  });
});
