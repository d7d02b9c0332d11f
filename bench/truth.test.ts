import { describe, expect, it } from 'vitest';
import { parseJournal } from '../lab/src/truth.js';
import { electedJournalLine, journalLine, leaseJournalLine, systemdJournalLine } from './journal-text.js';
import {
  electionsOf,
  faultTruth,
  leaseFaultMs,
  leaseLogOf,
  leaseTruth,
  raftTruth,
  unitLogOf,
} from './truth.js';

const at = (iso: string) => Date.parse(iso);
const journal = (...lines: string[]) => parseJournal(lines.join('\n'));

describe("etcd's journal", () => {
  const m1 = journal(
    journalLine(at('2026-11-24T12:55:13.700Z'), 100, '{"level":"info","msg":"starting"}'),
    electedJournalLine(at('2026-11-24T12:55:13.769Z'), 'a1', 'b2', 2),
    journalLine(at('2026-11-24T12:55:14Z'), 100, 'not json: elected leader'),
    electedJournalLine(at('2026-11-24T12:55:27.829Z'), 'a1', 'a1', 3),
  );
  const m3 = journal(
    electedJournalLine(at('2026-11-24T12:55:13.769Z'), 'c3', 'b2', 2),
    electedJournalLine(at('2026-11-24T12:55:27.830Z'), 'c3', 'a1', 3),
  );

  it('reads the "elected leader" lines only, with zap\'s ms timestamps and 64-bit terms', () => {
    const lines = electionsOf(m1, 'master-1');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({
      tsMs: at('2026-11-24T12:55:27.829Z'),
      member: 'a1',
      leader: 'a1',
      term: 3n,
      master: 'master-1',
    });
    expect(electionsOf([])).toEqual([]);
  });

  it('takes the first line across members at a term above the one in force at the fault', () => {
    const lines = [...electionsOf(m3, 'master-3'), ...electionsOf(m1, 'master-1')];
    expect(raftTruth(lines, at('2026-11-24T12:55:26.749Z'))).toEqual({
      electedMs: at('2026-11-24T12:55:27.829Z'),
      termBefore: 2n,
      term: 3n,
      leader: 'a1',
      member: 'a1',
    });
  });

  it('says why when there is no truth', () => {
    const lines = electionsOf(m1);
    expect(raftTruth(lines, at('2026-11-24T12:00:00Z'))).toMatch(/no "elected leader" line before/);
    expect(raftTruth(lines, at('2026-11-24T13:00:00Z'))).toMatch(/above 3/);
    // a given pre-fault term overrides the logs
    expect(raftTruth(lines, at('2026-11-24T12:00:00Z'), 2n)).toMatchObject({ term: 3n });
  });
});

describe("the scheduler's journal", () => {
  const LEASE = 'kube-system/kube-scheduler';
  const t0 = at('2026-11-24T12:00:00Z');
  const acquired = (ms: number, pid: number) => leaseJournalLine(ms, pid, 'Successfully acquired lease');
  const renewed = (ms: number, pid: number) => leaseJournalLine(ms, pid, 'Successfully renewed lease');

  /** master-1 holds and renews; master-2 takes over at +6.500250 s; master-3 stands by */
  function masters(oldHolderEnd: string[]) {
    const m1 = journal(acquired(t0, 80), renewed(t0 + 1000, 80), renewed(t0 + 2000.125, 80), ...oldHolderEnd);
    const m2 = journal(
      journalLine(
        t0 - 1000,
        81,
        'I1124 11:59:59.000000      81 leaderelection.go:258] "Attempting to acquire leader lease..." lock="kube-system/kube-scheduler"',
      ),
      acquired(t0 + 6500.25, 81),
      renewed(t0 + 7500.25, 81),
    );
    const m3 = journal(acquired(t0 + 9000, 82));
    const lease = [
      ...leaseLogOf(m1, 'master-1'),
      ...leaseLogOf(m2, 'master-2'),
      ...leaseLogOf(m3, 'master-3'),
    ];
    const units = [
      ...unitLogOf(m1, 'master-1', 'kube-scheduler'),
      ...unitLogOf(m2, 'master-2', 'kube-scheduler'),
    ];
    return { lease, units };
  }

  it('keeps the microseconds of klog times, and the master that logged each line', () => {
    const { lease } = masters([]);
    expect(lease.map((l) => [l.master, l.event])).toEqual([
      ['master-1', 'acquired'],
      ['master-1', 'renewed'],
      ['master-1', 'renewed'],
      ['master-2', 'attempting'],
      ['master-2', 'acquired'],
      ['master-2', 'renewed'],
      ['master-3', 'acquired'],
    ]);
    expect(lease[2]!.tsMs - (t0 + 2000)).toBeCloseTo(0.125, 6);
    expect(lease[4]!.lease).toBe(LEASE);
  });

  it('a crash: the new holder acquires after the old one stopped renewing', () => {
    const { lease, units } = masters([
      systemdJournalLine(
        t0 + 2300,
        'kube-scheduler.service: Main process exited, code=killed, status=9/KILL',
      ),
    ]);
    const t = leaseTruth(lease, units, t0 + 2200, LEASE);
    expect(t).toMatchObject({ oldHolder: 'master-1', newHolder: 'master-2', released: false });
    if (typeof t === 'string') throw new Error(t);
    expect(t.acquiredMs - (t0 + 6500)).toBeCloseTo(0.25, 6);
    expect(t.leaderlessS).toBeCloseTo(4.500125, 9);
    expect(t.leaderlessWhy).toBeUndefined();
  });

  it('a graceful stop: the release is never logged, so the leaderless time has no truth', () => {
    const { lease, units } = masters([
      systemdJournalLine(
        t0 + 2250,
        'Stopping kube-scheduler.service - Kubernetes Scheduler (kha-drill lab)...',
      ),
    ]);
    const t = leaseTruth(lease, units, t0 + 2200, LEASE);
    expect(t).toMatchObject({
      oldHolder: 'master-1',
      newHolder: 'master-2',
      released: true,
      leaderlessS: null,
    });
    if (typeof t === 'string') throw new Error(t);
    expect(t.leaderlessWhy).toMatch(/logs a successful release at no verbosity/);
    // a stop of that unit long before the fault is another story
    const early = leaseTruth(lease, units, t0 + 4000, LEASE);
    expect(early).toMatchObject({ released: false });
  });

  it('says why when there is no truth', () => {
    const { lease, units } = masters([]);
    expect(leaseTruth(lease, units, t0 + 9500, LEASE)).toMatch(/no other master acquired/);
    expect(leaseTruth(lease, units, t0 - 500, LEASE)).toMatch(/--leader-election-verbosity 5/);
    expect(leaseTruth(lease, units, t0 + 2200, 'kube-system/other')).toMatch(/before the fault/);
    // the same master taking the Lease back (systemd restarted its scheduler) is no takeover
    const back = [
      ...lease.filter((l) => l.master === 'master-1'),
      ...leaseLogOf(journal(acquired(t0 + 8000, 90)), 'master-1'),
    ];
    expect(leaseTruth(back, [], t0 + 2200, LEASE)).toMatch(/held by master-1/);
  });

  it("the fault's true moment: systemd's record of the process leaving, and the stop that began it", () => {
    const m1 = journal(
      systemdJournalLine(t0 + 100, 'Stopping kube-scheduler.service - Kubernetes Scheduler...'),
      systemdJournalLine(t0 + 900.5, 'Stopped kube-scheduler.service - Kubernetes Scheduler.'),
    );
    const m2 = journal(
      // an older death, before the command started: not this fault
      systemdJournalLine(
        t0 - 5000,
        'kube-scheduler.service: Main process exited, code=killed, status=9/KILL',
      ),
    );
    const units = [
      ...unitLogOf(m1, 'master-1', 'kube-scheduler'),
      ...unitLogOf(m2, 'master-2', 'kube-scheduler'),
    ];
    const f = faultTruth(units, 'kube-scheduler', t0, t0 + 70_000);
    if (typeof f === 'string') throw new Error(f);
    expect(f).toMatchObject({ master: 'master-1', event: 'stopped' });
    expect(f.exitMs - t0).toBeCloseTo(900.5, 6);
    expect(f.stopStartMs! - t0).toBeCloseTo(100, 6);
    // released during the stop (taken before the process left): from the stop's start
    expect(leaseFaultMs(f, t0 + 500)).toEqual({ ms: f.stopStartMs, released: true });
    // taken after the process left: from the process leaving
    expect(leaseFaultMs(f, t0 + 2000)).toEqual({ ms: f.exitMs, released: false });
    // another unit's lines are not this fault, nor lines outside the window
    expect(faultTruth(units, 'etcd', t0, t0 + 70_000)).toMatch(/no systemd record of etcd/);
    expect(faultTruth(units, 'kube-scheduler', t0 + 1000, t0 + 70_000)).toMatch(/no systemd record/);
  });
});
