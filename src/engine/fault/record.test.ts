import { describe, expect, it } from 'vitest';
import type { Step } from '../../config/schema.js';
import type { FaultEvent, NewEvent, TimelineEvent } from '../../timeline/events.js';
import type { RunTimeline } from '../deps.js';
import { fakeInventory } from '../testing/fakes.js';
import type { Remote, RemoteResult } from '../types.js';
import { recordFaults, recordRestarts, refineFaults } from './record.js';

const EPOCH = 1_800_000_000;

/** systemd's stamp format for a master-clock time. */
function stamp(s: number): string {
  const d = new Date(Math.floor(s) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return `Sun ${d}.${String(Math.round((s % 1) * 1e6)).padStart(6, '0')} UTC`;
}

/**
 * A simulated run clock and one master whose clock is `skew` s off; each SSH round trip takes
 * `rtt` s and the master reads its clock `at` of the way through (asymmetric paths).
 */
function world(
  skew: number,
  opts: { rtt?: number; at?: number; exitAt?: number | null; restartAt?: number } = {},
) {
  const rtt = opts.rtt ?? 0.006;
  const at = opts.at ?? 0.8;
  let now = 10;
  const events: TimelineEvent[] = [];
  const timeline: RunTimeline = {
    now: () => now,
    events: () => events,
    append: (e: NewEvent) => {
      const full = { ...e, seq: events.length, t: now } as TimelineEvent;
      events.push(full);
      return full;
    },
  };
  const masterClock = (runT: number) => EPOCH + skew + runT;
  let reads = 0;
  const remote: Remote = {
    connect: async () => {},
    close: async () => {},
    exec: async (_m, command): Promise<RemoteResult> => {
      const read = now + rtt * at;
      now += rtt;
      if (command === 'date +%s.%N')
        return { code: 0, stdout: `${masterClock(read).toFixed(9)}\n`, stderr: '' };
      reads++;
      const lines = [
        `ExecMainStartTimestamp=${opts.restartAt !== undefined && read >= opts.restartAt ? stamp(masterClock(opts.restartAt)) : ''}`,
      ];
      const exit = opts.exitAt;
      // the exit record exists once the process left, until systemd starts it again
      const exited =
        exit !== undefined &&
        exit !== null &&
        read >= exit &&
        !(opts.restartAt !== undefined && read >= opts.restartAt);
      lines.push(
        `ExecMainExitTimestamp=${exited ? stamp(masterClock(exit)) : ''}`,
        'NRestarts=1',
        'ActiveState=inactive',
      );
      return { code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' };
    },
  };
  const inventory = fakeInventory(3);
  const deps = {
    inventory,
    remote,
    timeline,
    sleep: async (ms: number) => {
      now += ms / 1000;
    },
  };
  return { deps, masterClock, events, reads: () => reads, setNow: (t: number) => (now = t) };
}

const stop: Step = {
  action: 'stopService',
  target: 'master:master-2',
  service: 'kube-scheduler',
  wait: true,
} as Step;
const stopNoBlock: Step = { ...stop, wait: false } as Step;
const freeze: Step = {
  action: 'killService',
  target: 'master:master-2',
  service: 'kube-scheduler',
  signal: 'STOP',
} as Step;

describe('t_fault on the run clock, whatever the master clock says', () => {
  for (const skew of [0, 3.25, -41.5]) {
    it(`a master ${skew} s off: systemd's exit maps to the true run time, inside [lo, hi]`, async () => {
      // the command ran from run time 9.90 to 9.95 (master bracket), the process left at 9.93
      const w = world(skew, { exitAt: 9.93 });
      const [f] = await recordFaults(
        w.deps,
        stop,
        0,
        [{ master: 'master-2', start: w.masterClock(9.9), end: w.masterClock(9.95) }],
        { start: 9.89, end: 9.96 },
      );
      expect(f).toMatchObject({ kind: 'fault', source: 'unit-exit', master: 'master-2', commandEnd: 9.96 });
      expect(f!.lo).toBeLessThanOrEqual(9.93);
      expect(f!.hi).toBeGreaterThanOrEqual(9.93);
      // the bound is the offset's (half the 6 ms round trip), not the seconds of skew
      expect(Math.abs(f!.tFault - 9.93)).toBeLessThanOrEqual(0.003 + 1e-9);
      expect(f!.hi - f!.lo).toBeLessThanOrEqual(0.006 + 2e-6);
      expect(f!.bracket!.start).toBeCloseTo(9.9, 2);
      expect(w.events.some((e) => e.kind === 'clock' && e.master === 'master-2' && e.at === 'inject')).toBe(
        true,
      );
    });
  }

  it('a --no-block stop whose process leaves late: provisional, then read again before restore', async () => {
    const w = world(-2, { exitAt: 25 });
    const [f] = await recordFaults(
      w.deps,
      stopNoBlock,
      0,
      [{ master: 'master-2', start: w.masterClock(9.9), end: w.masterClock(9.91) }],
      { start: 9.89, end: 9.92 },
    );
    // one read, no wait: the drill's observe window is not delayed
    expect(w.reads()).toBe(1);
    expect(f).toMatchObject({ source: 'bracket', provisional: true });
    w.setNow(30);
    await refineFaults(w.deps, [stopNoBlock], [f!]);
    const refined = w.events.filter((e) => e.kind === 'fault').pop();
    expect(refined).toMatchObject({ source: 'unit-exit', master: 'master-2', index: 0 });
    expect(refined?.kind === 'fault' && refined.provisional).toBeFalsy();
    expect(refined?.kind === 'fault' && Math.abs(refined.tFault - 25)).toBeLessThanOrEqual(0.003 + 1e-9);
  });

  it('a stop that waits: polls until the exit is recorded', async () => {
    const w = world(-2, { exitAt: 10.4 });
    const [f] = await recordFaults(
      w.deps,
      stop,
      0,
      [{ master: 'master-2', start: w.masterClock(9.9), end: w.masterClock(9.91) }],
      { start: 9.89, end: 9.92 },
    );
    expect(w.reads()).toBeGreaterThan(1);
    expect(f!.source).toBe('unit-exit');
    expect(Math.abs(f!.tFault - 10.4)).toBeLessThanOrEqual(0.003 + 1e-9);
  });

  it('SIGSTOP leaves no exit: the bracket, midpoint ± half, without reading systemd', async () => {
    const w = world(5, {});
    const [f] = await recordFaults(
      w.deps,
      freeze,
      0,
      [{ master: 'master-2', start: w.masterClock(9.9), end: w.masterClock(9.96) }],
      { start: 9.89, end: 9.97 },
    );
    expect(w.reads()).toBe(0);
    expect(f!.source).toBe('bracket');
    expect(f!.tFault).toBeCloseTo(9.93, 2);
    expect(f!.lo).toBeLessThanOrEqual(9.9);
    expect(f!.hi).toBeGreaterThanOrEqual(9.96);
  });

  it('the process never left within the bound: the bracket, and why', async () => {
    const w = world(0, { exitAt: null });
    const [f] = await recordFaults(
      w.deps,
      stop,
      0,
      [{ master: 'master-2', start: w.masterClock(9.9), end: w.masterClock(9.95) }],
      { start: 9.89, end: 9.96 },
    );
    expect(f!.source).toBe('bracket');
    expect(f!.note).toMatch(/had not left/);
  });

  it("after restore: the unit's real start, mapped from a master 12 s ahead", async () => {
    const w = world(12, { exitAt: 9.93, restartAt: 15.2 });
    const faults = await recordFaults(
      w.deps,
      stop,
      0,
      [{ master: 'master-2', start: w.masterClock(9.9), end: w.masterClock(9.95) }],
      { start: 9.89, end: 9.96 },
    );
    w.setNow(20);
    await recordRestarts(w.deps, faults as FaultEvent[]);
    const start = w.events.find((e) => e.kind === 'unitStart');
    expect(start).toMatchObject({ master: 'master-2', service: 'kube-scheduler', restarts: 1 });
    expect(start?.kind === 'unitStart' && Math.abs(start.tStart - 15.2)).toBeLessThanOrEqual(0.003 + 1e-6);
  });
});
