import { describe, expect, it } from 'vitest';
import type { MetricResult } from '../metrics/types.js';
import type { Verdict } from '../report/result.js';
import {
  defaultSloTimings,
  evaluateAbort,
  evaluateSlos,
  overallVerdict,
  sloExitCode,
  splitMetricName,
  worstStatus,
} from './evaluate.js';

const T = { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 };

function m(name: string, value: number | null, errorS = 0, extra: Partial<MetricResult> = {}): MetricResult {
  return {
    name,
    value,
    unit:
      name.endsWith('_s') || name.includes('_s{') ? 's' : name.includes('availability') ? 'ratio' : 'count',
    errorS,
    status: value === null ? 'unknown' : 'measured',
    ...extra,
  };
}

describe('evaluateSlos', () => {
  const cases: {
    expr: string;
    metrics: MetricResult[];
    status: Verdict['status'];
    bound: string;
    value?: number | null;
    marginal?: boolean;
    message?: RegExp;
  }[] = [
    {
      expr: 'lease.takeover_s < 20',
      metrics: [m('lease.takeover_s', 2.61, 0.1)],
      status: 'pass',
      bound: '< 20',
      value: 2.61,
    },
    {
      expr: 'lease.takeover_s < 0.001',
      metrics: [m('lease.takeover_s', 2.61, 0.1)],
      status: 'fail',
      bound: '< 0.001',
      message: /2\.61 ± 0\.10 s, bound < 0\.001: violated/,
    },
    // timings substituted into the bound, the expression's right-hand side kept in the message
    {
      expr: 'lease.takeover_s < 2.2 * retryPeriod + 1',
      metrics: [m('lease.takeover_s', 5, 0)],
      status: 'pass',
      bound: '< 5.4',
      message: /\(2\.2 \* retryPeriod \+ 1\)/,
    },
    {
      expr: 'lease.takeover_s <= leaseDuration + retryPeriod',
      metrics: [m('lease.takeover_s', 17, 0)],
      status: 'pass',
      bound: '<= 17',
    },
    {
      expr: 'apiserver.availability >= 0.99',
      metrics: [m('apiserver.availability', 0.98, 0.001)],
      status: 'fail',
      bound: '>= 0.99',
    },
    { expr: 'lease.split_brain == 0', metrics: [m('lease.split_brain', 0)], status: 'pass', bound: '== 0' },
    { expr: 'lease.split_brain == 0', metrics: [m('lease.split_brain', 1)], status: 'fail', bound: '== 0' },
    {
      expr: 'etcd.write_outage_s < 2s',
      metrics: [m('etcd.write_outage_s', 1.5, 0.1)],
      status: 'pass',
      bound: '< 2',
    },
    {
      expr: 'etcd.write_outage_s < 500ms',
      metrics: [m('etcd.write_outage_s', 0.45)],
      status: 'pass',
      bound: '< 0.5',
    },
    // unknown or missing metrics are never a pass
    {
      expr: 'raft.catchup_s < 5',
      metrics: [m('raft.catchup_s', null, 0, { note: 'watcher blind' })],
      status: 'unknown',
      bound: '< 5',
      value: null,
      message: /watcher blind/,
    },
    {
      expr: 'raft.catchup_s < 5',
      metrics: [],
      status: 'unknown',
      bound: '< 5',
      value: null,
      message: /not measured/,
    },
    // the error interval straddles the bound: the value decides, marked marginal
    {
      expr: 'lease.takeover_s < 3',
      metrics: [m('lease.takeover_s', 2.9, 0.25)],
      status: 'pass',
      bound: '< 3',
      marginal: true,
      message: /within error bound/,
    },
    {
      expr: 'lease.takeover_s < 3',
      metrics: [m('lease.takeover_s', 3.1, 0.25)],
      status: 'fail',
      bound: '< 3',
      marginal: true,
    },
    {
      expr: 'lease.takeover_s < 3',
      metrics: [m('lease.takeover_s', 2.0, 0.25)],
      status: 'pass',
      bound: '< 3',
      marginal: undefined,
    },
    // labels: exact match preferred
    {
      expr: 'lease.takeover_s{lease=kube-system/kube-controller-manager} < 20',
      metrics: [
        m('lease.takeover_s', 2),
        m('lease.takeover_s{lease=kube-system/kube-controller-manager}', 21),
      ],
      status: 'fail',
      bound: '< 20',
      value: 21,
    },
    {
      expr: 'lease.takeover_s < 20',
      metrics: [
        m('lease.takeover_s', 2),
        m('lease.takeover_s{lease=kube-system/kube-controller-manager}', 21),
      ],
      status: 'pass',
      bound: '< 20',
      value: 2,
    },
    // no unlabelled result: every labelled one is checked, worst wins
    {
      expr: 'lease.takeover_s < 20',
      metrics: [m('lease.takeover_s{lease=a/b}', 2), m('lease.takeover_s{lease=c/d}', 25)],
      status: 'fail',
      bound: '< 20',
      value: 25,
      message: /lease\.takeover_s\{lease=c\/d\}, worst of 2/,
    },
    {
      expr: 'lease.takeover_s < 20',
      metrics: [m('lease.takeover_s{lease=a/b}', 2), m('lease.takeover_s{lease=c/d}', null)],
      status: 'unknown',
      bound: '< 20',
    },
    // aggregates over iterations (several results of one name)
    {
      expr: 'p(50)(lease.takeover_s) < 3',
      metrics: [m('lease.takeover_s', 2), m('lease.takeover_s', 2.5), m('lease.takeover_s', 9)],
      status: 'pass',
      bound: '< 3',
      value: 2.5,
    },
    {
      expr: 'max(lease.takeover_s) < 3',
      metrics: [m('lease.takeover_s', 2), m('lease.takeover_s', 9)],
      status: 'fail',
      bound: '< 3',
      value: 9,
    },
    // an expression that does not parse (validation should have caught it) is unknown, not pass
    {
      expr: 'lease.takeover_s <',
      metrics: [m('lease.takeover_s', 2)],
      status: 'unknown',
      bound: '',
      message: /invalid expression/,
    },
  ];
  it.each(cases)('$expr with $metrics.length metric(s) → $status', (c) => {
    const [v] = evaluateSlos([c.expr], c.metrics, T);
    expect(v).toBeDefined();
    expect(v!.slo).toBe(c.expr);
    expect(v!.status).toBe(c.status);
    expect(v!.bound).toBe(c.bound);
    if ('value' in c) expect(v!.value).toBe(c.value);
    if ('marginal' in c) expect(v!.marginal).toBe(c.marginal);
    if (c.message) expect(v!.message).toMatch(c.message);
  });

  it('copies unit and error bound onto the verdict', () => {
    const [v] = evaluateSlos(['lease.takeover_s < 20'], [m('lease.takeover_s', 2.61, 0.004)], T);
    expect(v).toMatchObject({ unit: 's', errorS: 0.004, value: 2.61, metric: 'lease.takeover_s' });
    expect(v!.message).toBe('2.610 ± 0.004 s, bound < 20: held');
  });
});

describe('verdict aggregation and exit codes', () => {
  const v = (status: Verdict['status']): Verdict => ({
    slo: 'x',
    metric: 'x',
    status,
    value: null,
    bound: '',
    message: '',
  });
  it.each([
    [[], 'pass', 0],
    [['pass', 'pass'], 'pass', 0],
    [['pass', 'unknown'], 'unknown', 1],
    [['unknown', 'fail', 'pass'], 'fail', 1],
    [['fail'], 'fail', 1],
  ] as const)('%j → %s, exit %i', (statuses, worst, exit) => {
    expect(worstStatus(statuses)).toBe(worst);
    expect(overallVerdict(statuses.map(v))).toBe(worst);
    expect(sloExitCode(statuses.map(v))).toBe(exit);
  });
  it('can let unknown through when asked', () => {
    expect(sloExitCode([v('unknown')], { unknownFails: false })).toBe(0);
    expect(sloExitCode([v('fail')], { unknownFails: false })).toBe(1);
  });
});

describe('evaluateAbort', () => {
  it('fires on the first expression that holds on a measured value', () => {
    const metrics = [m('apiserver.max_outage_s', 31), m('lease.takeover_s', null)];
    expect(evaluateAbort(['lease.takeover_s > 1', 'apiserver.max_outage_s > 30'], metrics)).toMatch(
      /apiserver\.max_outage_s > 30.*31\.00 s/,
    );
    expect(evaluateAbort(['apiserver.max_outage_s > 40'], metrics)).toBeNull();
  });
  it('uses the timings', () => {
    expect(
      evaluateAbort(['lease.takeover_s > 2 * leaseDuration'], [m('lease.takeover_s', 9)], {
        ...T,
        leaseDuration: 4,
      }),
    ).not.toBeNull();
    expect(evaluateAbort(['lease.takeover_s > 2 * leaseDuration'], [m('lease.takeover_s', 9)], T)).toBeNull();
  });
  it('never fires on unknown metrics or unparsable expressions', () => {
    expect(evaluateAbort(['lease.takeover_s > 0', 'nonsense >'], [m('lease.takeover_s', null)])).toBeNull();
  });
});

describe('helpers', () => {
  it('reads timings from an inventory', () => {
    expect(
      defaultSloTimings({
        kubernetes: { leaderElection: { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '500ms' } },
      }),
    ).toEqual({
      leaseDuration: 4,
      renewDeadline: 3,
      retryPeriod: 0.5,
    });
  });
  it('splits labelled metric names', () => {
    expect(splitMetricName('lease.takeover_s{lease=kube-system/kube-scheduler}')).toEqual({
      name: 'lease.takeover_s',
      labels: { lease: 'kube-system/kube-scheduler' },
    });
    expect(splitMetricName('raft.elections')).toEqual({ name: 'raft.elections', labels: {} });
  });
});
