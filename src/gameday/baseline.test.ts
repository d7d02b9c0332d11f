import { describe, expect, it } from 'vitest';
import { DEFAULT_TOLERANCE, compareRuns, judge, parseTolerance } from './baseline.js';
import { displayRows, formatComparisonTable } from '../report/suite/baseline-format.js';
import type { MetricSummary, RunSummary } from '../report/suite/result.js';

describe('parseTolerance', () => {
  it.each([
    [undefined, { pct: 0.2, absS: 0.5 }],
    ['20%,0.5s', { pct: 0.2, absS: 0.5 }],
    ['10%', { pct: 0.1, absS: 0.5 }],
    ['1s', { pct: 0.2, absS: 1 }],
    ['5%, 250ms', { pct: 0.05, absS: 0.25 }],
    ['0%,0s', { pct: 0, absS: 0 }],
  ])('%s → %j', (text, expected) => {
    expect(parseTolerance(text)).toEqual(expected);
  });

  it.each(['', 'fast', '20', '20%,x', '-5%'])('refuses %j (exit 2)', (text) => {
    expect(() => parseTolerance(text)).toThrow(/bad --tolerance/);
  });
});

describe('judge', () => {
  const tol = DEFAULT_TOLERANCE;
  it.each([
    // seconds: worse by more than 20 % AND by at least 0.5 s
    ['s', 2, 2.3, 'ok'], // +15 %
    ['s', 2, 2.45, 'ok'], // +22.5 % but only 0.45 s
    ['s', 2, 2.6, 'regression'], // +30 %, 0.6 s
    ['s', 10, 11.5, 'ok'], // +15 %, 1.5 s
    ['s', 10, 12.5, 'regression'],
    ['s', 0, 0.6, 'regression'], // from nothing
    ['s', 2.6, 2, 'improved'],
    // ratios: worse is lower, by more than 20 % of the baseline
    ['ratio', 1, 0.85, 'ok'],
    ['ratio', 1, 0.75, 'regression'],
    ['ratio', 0.5, 0.7, 'improved'],
    // counts: any increase
    ['count', 1, 2, 'regression'],
    ['count', 0, 1, 'regression'],
    ['count', 1, 1, 'ok'],
    ['count', 2, 1, 'improved'],
  ] as const)('%s %d → %d: %s', (unit, base, cur, expected) => {
    expect(judge(unit, base, cur, tol)).toBe(expected);
  });
});

const summary = (
  kind: RunSummary['kind'],
  metrics: Partial<MetricSummary>[],
  name = 'quarterly',
): RunSummary => ({
  kind,
  dir: `reports/${kind}`,
  runId: `${kind}-id`,
  name,
  startedAt: '2026-11-24T12:00:00Z',
  metrics: metrics.map((m) => ({
    drill: 'scheduler-crash',
    metric: 'lease.takeover_s',
    unit: 's',
    count: 3,
    unknown: 0,
    p50: null,
    p95: null,
    ...m,
  })),
});

describe('compareRuns', () => {
  it('compares p50 and p95 of suites and flags the worse one', () => {
    const before = summary('suite', [
      { p50: 5, p95: 6 },
      { metric: 'raft.elections', unit: 'count', p50: 1, p95: 1 },
    ]);
    const after = summary('suite', [
      { p50: 5.2, p95: 8 },
      { metric: 'raft.elections', unit: 'count', p50: 1, p95: 2 },
    ]);
    const cmp = compareRuns(before, after, DEFAULT_TOLERANCE);
    expect(cmp.rows.map((r) => [r.metric, r.stat, r.status])).toEqual([
      ['lease.takeover_s', 'p50', 'ok'],
      ['lease.takeover_s', 'p95', 'regression'],
      ['raft.elections', 'p50', 'ok'],
      ['raft.elections', 'p95', 'regression'],
    ]);
    expect(cmp.regressions).toBe(2);
    expect(cmp.rows[1]).toMatchObject({ baseline: 6, current: 8, delta: 2 });
    expect(cmp.rows[1]!.deltaPct).toBeCloseTo(1 / 3);
  });

  it('flags a doctored baseline with every metric halved', () => {
    const real = summary('suite', [
      { p50: 2, p95: 3 },
      { metric: 'lease.transitions', unit: 'count', p50: 1, p95: 1 },
      { metric: 'apiserver.availability', unit: 'ratio', p50: 0.95, p95: 1 },
    ]);
    const halved = {
      ...real,
      metrics: real.metrics.map((m) => ({
        ...m,
        p50: m.p50 === null ? null : m.p50 / 2,
        p95: m.p95 === null ? null : m.p95 / 2,
      })),
    };
    const cmp = compareRuns(halved, real, DEFAULT_TOLERANCE);
    const by = (metric: string) => cmp.rows.filter((r) => r.metric === metric).map((r) => r.status);
    expect(by('lease.takeover_s')).toEqual(['regression', 'regression']);
    expect(by('lease.transitions')).toEqual(['regression', 'regression']);
    // availability higher than its (halved) baseline is better, not worse
    expect(by('apiserver.availability')).toEqual(['improved', 'improved']);
  });

  it('compares single runs by their value, and a single run against a suite by p50 and p95', () => {
    const a = summary('run', [{ p50: 1, p95: 1 }], 'scheduler-crash');
    const b = summary('run', [{ p50: 3, p95: 3 }], 'scheduler-crash');
    expect(compareRuns(a, b, DEFAULT_TOLERANCE).rows).toMatchObject([
      { stat: 'value', status: 'regression' },
    ]);
    const s = summary('suite', [{ p50: 1.1, p95: 3 }]);
    expect(compareRuns(a, s, DEFAULT_TOLERANCE).rows.map((r) => r.status)).toEqual(['ok', 'regression']);
  });

  it('never judges an unknown, and lists metrics found on one side only', () => {
    const a = summary('suite', [
      { p50: null, p95: null, count: 0, unknown: 3 },
      { metric: 'raft.elections', unit: 'count', p50: 1, p95: 1 },
    ]);
    const b = summary('suite', [
      { p50: 9, p95: 9 },
      { metric: 'etcd.write_outage_s', p50: 1, p95: 1 },
    ]);
    const cmp = compareRuns(a, b, DEFAULT_TOLERANCE);
    expect(cmp.rows.map((r) => [r.metric, r.status])).toEqual([
      ['lease.takeover_s', 'unknown'],
      ['lease.takeover_s', 'unknown'],
      ['etcd.write_outage_s', 'new'],
      ['etcd.write_outage_s', 'new'],
      ['raft.elections', 'missing'],
      ['raft.elections', 'missing'],
    ]);
    expect(cmp.regressions).toBe(0);
  });

  it('keeps drills apart', () => {
    const a = summary('suite', [
      { p50: 1, p95: 1 },
      { drill: 'scheduler-failover', p50: 5, p95: 5 },
    ]);
    const b = summary('suite', [
      { p50: 1, p95: 1 },
      { drill: 'scheduler-failover', p50: 5, p95: 5 },
    ]);
    expect(compareRuns(a, b, DEFAULT_TOLERANCE).regressions).toBe(0);
  });

  it('prints a table that names both runs, the tolerance and each verdict', () => {
    const a = summary('suite', [{ p50: 5, p95: 6 }]);
    const b = summary('suite', [{ p50: 5, p95: 8 }]);
    const text = formatComparisonTable(compareRuns(a, b, DEFAULT_TOLERANCE));
    expect(text).toMatch(/^baseline: reports\/suite \(suite quarterly/);
    expect(text).toMatch(/tolerance: 20%,0.5s/);
    expect(text).toMatch(
      /scheduler-crash\s+lease\.takeover_s\s+p95\s+6\.00 s\s+8\.00 s\s+\+2\.00 s \(\+33\.3%\)\s+REGRESSION/,
    );
    expect(text).toMatch(/1 regression beyond the tolerance\n$/);
  });
});

describe('displayRows', () => {
  it('drops both-unknown rows and labelled twins, and notes drills found on one side only', () => {
    const a = summary('suite', [
      { p50: 1, p95: 2 },
      { metric: 'lease.takeover_s{lease=kube-system/kube-scheduler}', p50: 1, p95: 2 },
      { metric: 'lease.takeover_s{lease=kube-system/kube-controller-manager}', p50: 4, p95: 5 },
      { metric: 'raft.reelection_s', p50: null, p95: null },
      { drill: 'etcd-leader-kill', metric: 'raft.elections', unit: 'count', p50: 1, p95: 1 },
    ]);
    const b = summary('suite', [
      { p50: 1, p95: 2 },
      { metric: 'lease.takeover_s{lease=kube-system/kube-scheduler}', p50: 1, p95: 2 },
      { metric: 'lease.takeover_s{lease=kube-system/kube-controller-manager}', p50: 4, p95: 6 },
      { metric: 'raft.reelection_s', p50: null, p95: null },
    ]);
    const { rows, notes } = displayRows(compareRuns(a, b, DEFAULT_TOLERANCE));
    expect(rows.map((r) => `${r.metric} ${r.stat}`)).toEqual([
      'lease.takeover_s p50',
      'lease.takeover_s p95',
      'lease.takeover_s{lease=kube-system/kube-controller-manager} p50',
      'lease.takeover_s{lease=kube-system/kube-controller-manager} p95',
    ]);
    expect(notes).toEqual(['etcd-leader-kill: only in the baseline (not run this time)']);
  });
});
