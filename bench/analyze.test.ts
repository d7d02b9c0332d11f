/**
 * The benchmark's judgement of one run, on the recorded lab timelines (test/fixtures/timelines):
 * ground truth is rebuilt as the masters' journal lines (etcd's zap, the scheduler's klog,
 * systemd's) at the instants their .truth.json recorded, so the error must come out as
 * kha-drill's metric minus that truth.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../src/metrics/compute.js';
import type { MetricResult } from '../src/metrics/types.js';
import type { TimelineEvent } from '../src/timeline/events.js';
import { analyzeRun, type RunInput } from './analyze.js';
import type { ProcSample } from './procstat.js';
import { momentsOf, parseTimeline, requestRates } from './timeline.js';
import { parseJournal } from '../lab/src/truth.js';
import { electedJournalLine, leaseJournalLine, systemdJournalLine } from './journal-text.js';
import { electionsOf, leaseLogOf, unitLogOf } from './truth.js';

const dir = fileURLToPath(new URL('../test/fixtures/timelines/', import.meta.url));

function fixture(name: string) {
  const events = parseTimeline(readFileSync(`${dir}${name}.ndjson`, 'utf8'));
  const truth = JSON.parse(readFileSync(`${dir}${name}.truth.json`, 'utf8')) as Record<
    string,
    number | string
  >;
  const m = momentsOf(events);
  if (typeof m === 'string') throw new Error(m);
  const primaryLease = typeof truth.primaryLease === 'string' ? truth.primaryLease : undefined;
  const metrics = computeMetrics(events, primaryLease ? { primaryLease } : {});
  return { events, truth, m, metrics, injectMs: m.wallMs + m.tInject! * 1000 };
}

const metric = (ms: MetricResult[], name: string) => ms.find((x) => x.name === name)!;

/** 20 % of a core at 100 ticks/s, RSS 80 MB, every 100 ms from `fromMs` for `n` samples */
const procSamples = (fromMs: number, n: number): ProcSample[] =>
  Array.from({ length: n }, (_, i) => ({
    at: fromMs + i * 100,
    ticks: 1000 + 2 * i,
    rssKb: 80_000 + (i % 2),
  }));

const base = (
  f: ReturnType<typeof fixture>,
): Omit<RunInput, 'drill' | 'measure' | 'elections' | 'leaseLog' | 'unitLog' | 'unit'> => ({
  pollMs: 100,
  exitCode: 0,
  metrics: f.metrics,
  events: f.events,
  lease: 'kube-system/kube-scheduler',
  fault: 'process',
  proc: procSamples(f.m.wallMs - 500, 200),
  ticksPerS: 100,
  spawnMs: f.m.wallMs - 300,
});

describe('analyzeRun on recorded runs', () => {
  it('etcd-leader-kill: raft.reelection_s against the first "elected leader" line at a higher term', () => {
    const f = fixture('etcd-leader-kill');
    const electedMs = f.injectMs + Number(f.truth['raft.reelection_s']) * 1000;
    const elections = [
      ...electionsOf(parseJournal(electedJournalLine(f.m.wallMs - 60_000, 'a1', 'a1', 2)), 'master-1'),
      // zap logs milliseconds: the later member's line and the truncated one
      ...electionsOf(
        parseJournal(
          `${electedJournalLine(electedMs, 'a1', 'a1', 3)}\n${electedJournalLine(electedMs + 4, 'b2', 'a1', 3)}`,
        ),
        'master-2',
      ),
    ];
    const observedAt = electedMs + 400;
    // systemd's record of the killed leader's process leaving, 30 ms before the command returned
    const exitMs = f.injectMs - 30;
    const unitLog = unitLogOf(
      parseJournal(
        systemdJournalLine(exitMs, 'etcd.service: Main process exited, code=killed, status=9/KILL'),
      ),
      'master-1',
      'etcd',
    );
    const a = analyzeRun({
      ...base(f),
      drill: 'etcd-leader-kill',
      measure: 'raft',
      unit: 'etcd',
      elections,
      leaseLog: [],
      unitLog,
      observer: {
        etcd: [
          {
            at: f.m.wallMs,
            done: f.m.wallMs + 20,
            members: [{ endpoint: 'x', memberId: '1', leader: '7', term: 2n }],
          },
          {
            at: observedAt - 100,
            done: observedAt,
            members: [{ endpoint: 'x', memberId: '1', leader: '9', term: 3n }],
          },
        ],
        lease: [],
      },
    });
    expect(a.problems).toEqual([]);
    const c = a.checks[0]!;
    const measured = metric(f.metrics, 'raft.reelection_s').value!;
    expect(c.metric).toBe('raft.reelection_s');
    // end to end: the election's zap line (milliseconds) minus systemd's record of the kill
    const truthMs = Math.floor(electedMs) - exitMs;
    expect(c.truthS! * 1000).toBeCloseTo(truthMs, 6);
    expect(c.errorMs!).toBeCloseTo(measured * 1000 - truthMs, 6);
    expect(c.boundS).toBeGreaterThan(0);
    // the operator's clock starts when their command returns, 30 ms after the process left
    expect(a.observer['raft.reelection_s']!.errorMs).toBeCloseTo(
      400 - 30 + (electedMs - Math.floor(electedMs)),
      6,
    );
    expect(a.observer['raft.reelection_s']!.errorStartMs).toBeCloseTo(
      300 - 30 + (electedMs - Math.floor(electedMs)),
      6,
    );
    expect(a.injectAfterSpawnS).toBeCloseTo(0.3 + f.m.tInject!, 6);
    expect(a.injectBreakdown).toBeNull(); // the recording has no steady-state phase
    expect(a.observeCost!.cpuPct).toBeCloseTo(20, 6);
    expect(a.observeCost!.peakRssKb).toBe(80_001);
    expect(a.endRssKb).toBe(80_001);
    // the raft watcher polled each member every 100 ms
    for (const rate of Object.values(a.rates!.raftPerMember)) expect(rate).toBeGreaterThan(7);
  });

  for (const name of ['scheduler-crash', 'scheduler-failover'] as const) {
    it(`${name}: lease.takeover_s and lease.leaderless_s against the masters' journals`, () => {
      const f = fixture(name);
      const lease = 'kube-system/kube-scheduler';
      const masterOf = new Map<string, string>();
      for (const e of f.events)
        if (e.kind === 'lease' && e.lease === lease && e.holder && !masterOf.has(e.holder))
          masterOf.set(e.holder, e.master ?? `m${masterOf.size}`);
      const [oldM, newM] = [...masterOf.values()] as [string, string];
      // klog keeps microseconds
      const us = (ms: number) => Math.round(ms * 1000) / 1000;
      const acquiredMs = us(f.injectMs + Number(f.truth['lease.takeover_s']) * 1000);
      const faultMs = f.m.wallMs + f.m.tCommand! * 1000;
      const oldEnd = us(faultMs - 250.5);
      // what systemd logs about the old holder's unit: SIGKILL, or a graceful stop (a release)
      const crash = name === 'scheduler-crash';
      const unitLine = crash
        ? systemdJournalLine(
            faultMs + 40,
            'kube-scheduler.service: Main process exited, code=killed, status=9/KILL',
          )
        : [
            systemdJournalLine(
              faultMs + 40,
              'Stopping kube-scheduler.service - Kubernetes Scheduler (kha-drill lab)...',
            ),
            // the process left after the new holder took the Lease: released during the stop
            systemdJournalLine(acquiredMs + 100, 'Stopped kube-scheduler.service - Kubernetes Scheduler.'),
          ].join('\n');
      const oldJournal = parseJournal(
        [
          leaseJournalLine(faultMs - 1250, 80, 'Successfully renewed lease'),
          leaseJournalLine(oldEnd, 80, 'Successfully renewed lease'),
          unitLine,
        ].join('\n'),
      );
      // the duration counts from the process leaving, or, released during the stop, from its start
      const fromMs = faultMs + 40;
      const newJournal = parseJournal(
        [
          leaseJournalLine(acquiredMs, 81, 'Successfully acquired lease'),
          leaseJournalLine(acquiredMs + 1000, 81, 'Successfully renewed lease'),
        ].join('\n'),
      );
      const a = analyzeRun({
        ...base(f),
        drill: name,
        measure: 'lease',
        unit: 'kube-scheduler',
        elections: [],
        leaseLog: [...leaseLogOf(oldJournal, oldM), ...leaseLogOf(newJournal, newM)],
        unitLog: [
          ...unitLogOf(oldJournal, oldM, 'kube-scheduler'),
          ...unitLogOf(newJournal, newM, 'kube-scheduler'),
        ],
        observer: {
          etcd: [],
          lease: [
            { at: faultMs - 900, done: faultMs - 760, holder: 'old' },
            { at: acquiredMs + 500, done: acquiredMs + 640, holder: 'new' },
          ],
        },
      });
      const [takeover, leaderless] = a.checks;
      const measured = metric(f.metrics, 'lease.takeover_s').value!;
      expect(takeover!.truthS! * 1000).toBeCloseTo(acquiredMs - fromMs, 6);
      expect(takeover!.errorMs!).toBeCloseTo(measured * 1000 - (acquiredMs - fromMs), 6);
      if (!crash) expect(takeover!.note).toMatch(/released during the stop/);
      // the operator's value: the poll that showed it, from their command's return
      expect(a.observer['lease.takeover_s']!.errorMs).toBeCloseTo(
        acquiredMs + 640 - f.injectMs - (acquiredMs - fromMs),
        6,
      );
      // leaderless: acquireTime from the fault's moment, judged against the same acquired line
      expect(a.problems).toEqual([]);
      expect(leaderless!.truthS! * 1000).toBeCloseTo(acquiredMs - fromMs, 6);
      expect(leaderless!.errorMs!).toBeCloseTo(
        metric(f.metrics, 'lease.leaderless_s').value! * 1000 - (acquiredMs - fromMs),
        6,
      );
      expect(leaderless!.note).toBe(
        crash ? 'old holder crashed or stopped' : 'old holder released during its stop',
      );
    });
  }

  it('reports what is missing instead of a number', () => {
    const f = fixture('scheduler-crash');
    const a = analyzeRun({
      ...base(f),
      drill: 'scheduler-crash',
      measure: 'lease',
      unit: 'kube-scheduler',
      elections: [],
      leaseLog: [],
      unitLog: [],
    });
    expect(a.checks.every((c) => c.errorMs === null)).toBe(true);
    expect(a.problems[0]).toMatch(/fault truth: no systemd record of kube-scheduler's process leaving/);
    expect(a.problems[1]).toMatch(/lease truth: no acquired\/renewed line before the fault/);
    const none = analyzeRun({
      ...base(f),
      events: [],
      drill: 'x',
      measure: 'raft',
      unit: 'etcd',
      elections: [],
      leaseLog: [],
      unitLog: [],
    });
    expect(none.problems).toEqual(['the timeline has no run header']);
  });
});

describe('timeline reading', () => {
  it('maps the inject step and observe phase, and counts requests per subject per second', () => {
    const f = fixture('scheduler-failover');
    expect(f.m.tCommand).toBeCloseTo(1.508525, 6);
    expect(f.m.tInject).toBeCloseTo(2.691793, 6);
    expect(f.m.observe).toEqual({ start: 2.692233, end: 4.382139 });
    const events: TimelineEvent[] = [
      ...f.events.slice(0, 1),
      { kind: 'raft', master: 'master-1', ok: true, latencyMs: 1, seq: 1, t: 1 },
      { kind: 'raft', master: 'master-1', ok: false, latencyMs: 1, seq: 2, t: 1.5 },
      { kind: 'api', master: 'lb', ok: true, latencyMs: 1, seq: 3, t: 2 },
      { kind: 'write', ok: true, latencyMs: 1, seq: 4, t: 2.5 },
      { kind: 'raft', master: 'master-2', ok: true, latencyMs: 1, seq: 5, t: 9 },
    ];
    const r = requestRates(events, 1, 3);
    expect(r.raftPerMember).toEqual({ 'master-1': 1 });
    expect(r.apiPerServer).toEqual({ lb: 0.5 });
    expect(r.writes).toBe(0.5);
    expect(r.windowS).toBe(2);
  });

  it('skips a line cut by a crash', () => {
    expect(
      parseTimeline('{"kind":"mark","mark":"note","message":"x","seq":0,"t":0}\n{"kind":"ra'),
    ).toHaveLength(1);
  });
});
