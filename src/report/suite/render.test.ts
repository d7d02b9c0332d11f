/**
 * The suite formats, rendered from a game-day whose iterations are recorded lab timelines
 * replayed through the metrics.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childrenNamed, parseXml } from '../../../test/unit/report-xml.js';
import type { Drill } from '../../config/schema.js';
import { computeMetrics } from '../../metrics/compute.js';
import type { MetricResult } from '../../metrics/types.js';
import type { RunResult } from '../result.js';
import { evaluateSlos, sloExitCode } from '../../slo/evaluate.js';
import { parseTimeline } from '../../timeline/read.js';
import { DEFAULT_TOLERANCE } from '../../gameday/baseline.js';
import type { SuiteResult } from './result.js';
import { runGameDay, type GameDayDrill } from '../../gameday/run.js';
import { readRunSummary } from '../../gameday/stored.js';
import { writeSuiteReport } from './write.js';
import { displayedStats } from './headline.js';
import { stripPlot } from './html.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/timelines/', import.meta.url));
const timings = { leaseDuration: 4, renewDeadline: 3, retryPeriod: 1 };

function replay(name: string): MetricResult[] {
  const { events } = parseTimeline(readFileSync(`${fixtures}${name}.ndjson`, 'utf8'));
  const truth = JSON.parse(readFileSync(`${fixtures}${name}.truth.json`, 'utf8')) as {
    primaryLease?: string;
  };
  return computeMetrics(events, truth.primaryLease ? { primaryLease: truth.primaryLease } : {});
}

const drill = (name: string, slo: string[]): GameDayDrill => ({
  file: `/pkg/drills/${name}.yaml`,
  digest: 'sha256:d',
  drill: {
    metadata: { name, description: `${name} <drill> & "friends"`, tags: [] },
    slo,
  } as unknown as Drill,
});

let dir: string;
let result: SuiteResult;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kha-suite-render-'));
  const scheduler = drill('scheduler-failover', [
    'lease.takeover_s < 2.2 * retryPeriod + 1',
    'lease.split_brain == 0',
  ]);
  const etcd = drill('etcd-leader-kill', ['raft.reelection_s < 3']);
  const recordings: Record<string, string[]> = {
    'scheduler-failover': ['scheduler-failover', 'scheduler-crash', 'scheduler-failover'],
    'etcd-leader-kill': ['etcd-leader-kill', 'etcd-leader-kill', 'apiservers-down'],
  };
  const n: Record<string, number> = {};
  result = await runGameDay(
    {
      plan: {
        name: 'quarterly',
        description: 'q',
        file: '/x/quarterly.yaml',
        digest: 'sha256:s',
        cooldownS: 0,
        stopOnFail: false,
        drills: [
          {
            ref: 'scheduler-failover',
            file: scheduler.file,
            iterations: 3,
            suiteSlo: ['p(95)(lease.takeover_s) < 18'],
            cooldownS: 0,
          },
          {
            ref: 'etcd-leader-kill',
            file: etcd.file,
            iterations: 3,
            suiteSlo: ['max(raft.elections) <= 2'],
            cooldownS: 0,
          },
        ],
      },
      drills: [scheduler, etcd],
      inventory: {
        cluster: 'lab',
        file: 'inventory.yaml',
        digest: 'sha256:i',
        masters: ['master-1', 'master-2', 'master-3'],
      },
      timings,
      suiteDir: dir,
      runId: path.basename(dir),
      startedAt: '2026-11-24T13:00:00.000Z',
      options: {
        cooldownS: 0,
        stopOnFail: false,
        steadyTimeoutS: 60,
        tolerance: DEFAULT_TOLERANCE,
        failOnRegression: true,
        lock: { master: 'master-1', file: '/tmp/kha-drill.lock' },
      },
      baseline: {
        kind: 'suite',
        dir: 'reports/last-quarter',
        runId: 'last',
        name: 'quarterly',
        startedAt: '2026-08-24T13:00:00Z',
        metrics: [
          {
            drill: 'scheduler-failover',
            metric: 'lease.takeover_s',
            unit: 's',
            count: 3,
            unknown: 0,
            p50: 0.3,
            p95: 0.4,
          },
          {
            drill: 'etcd-leader-kill',
            metric: 'raft.elections',
            unit: 'count',
            count: 3,
            unknown: 0,
            p50: 1,
            p95: 1,
          },
        ],
      },
      harnessVersion: '0.1.0',
    },
    {
      runIteration: async (d) => {
        const name = d.drill.metadata.name;
        const i = (n[name] = (n[name] ?? 0) + 1);
        const metrics = replay(recordings[name]![i - 1]!);
        const verdicts = evaluateSlos(d.drill.slo, metrics, timings);
        const exitCode = sloExitCode(verdicts);
        return {
          runId: `${name}-${i}`,
          outcome: exitCode ? 'fail' : 'pass',
          exitCode,
          startedAt: '2026-11-24T13:00:00.000Z',
          durationS: 10,
          summary: `${name} run ${i}`,
          verdicts,
          metrics,
        } as unknown as RunResult;
      },
      waitSteady: async () => ({ ok: true, detail: '' }),
      sleep: async () => {},
      log: { info: () => {}, warn: () => {} },
      onSignal: () => () => {},
    },
  );
  await writeSuiteReport(dir, result, ['json', 'junit', 'md', 'html']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('suite report files', () => {
  it('writes suite.json, junit.xml, summary.md and report.html beside the iteration directories', () => {
    expect(readdirSync(dir).sort()).toEqual([
      'etcd-leader-kill-01',
      'etcd-leader-kill-02',
      'etcd-leader-kill-03',
      'junit.xml',
      'report.html',
      'scheduler-failover-01',
      'scheduler-failover-02',
      'scheduler-failover-03',
      'suite.json',
      'summary.md',
    ]);
  });

  it('suite.json is versioned, holds the statistics and reads back as a baseline', () => {
    const json = JSON.parse(readFileSync(path.join(dir, 'suite.json'), 'utf8')) as SuiteResult;
    expect(json).toMatchObject({ schemaVersion: 1, kind: 'suite', suite: { name: 'quarterly' } });
    const takeover = json.drills[0]!.stats.find((s) => s.metric === 'lease.takeover_s')!;
    expect(takeover).toMatchObject({ count: 3, unknown: 0 });
    expect(takeover.max).toBeGreaterThan(5); // the crash recording
    const reelection = json.drills[1]!.stats.find((s) => s.metric === 'raft.reelection_s')!;
    expect(reelection).toMatchObject({ count: 2, unknown: 1 }); // apiservers-down measured no election
    const back = readRunSummary(dir, 'reports/now');
    expect(back).toMatchObject({ kind: 'suite', name: 'quarterly' });
    expect(back.metrics.find((m) => m.metric === 'lease.takeover_s')).toMatchObject({
      p95: takeover.p95,
      count: 3,
    });
  });

  it('junit.xml: a testsuite per drill, a testcase per SLO per iteration and per aggregate, and the baseline', () => {
    const root = parseXml(readFileSync(path.join(dir, 'junit.xml'), 'utf8'));
    const suites = childrenNamed(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['scheduler-failover', 'etcd-leader-kill', 'baseline']);
    const names = childrenNamed(suites[0]!, 'testcase').map((c) => c.attrs.name);
    expect(names).toEqual([
      '#1 lease.takeover_s < 2.2 * retryPeriod + 1',
      '#1 lease.split_brain == 0',
      '#2 lease.takeover_s < 2.2 * retryPeriod + 1',
      '#2 lease.split_brain == 0',
      '#3 lease.takeover_s < 2.2 * retryPeriod + 1',
      '#3 lease.split_brain == 0',
      'p(95)(lease.takeover_s) < 18 over 3 iterations',
    ]);
    // the crash took longer than a release's bound: iteration 2 fails its per-iteration SLO
    const second = childrenNamed(suites[0]!, 'testcase')[2]!;
    expect(childrenNamed(second, 'failure')).toHaveLength(1);
    // the etcd drill's third recording measured no election: unknown is an error, not green
    const third = childrenNamed(suites[1]!, 'testcase').find(
      (c) => c.attrs.name === '#3 raft.reelection_s < 3',
    )!;
    expect(childrenNamed(third, 'error')).toHaveLength(1);
    // takeover p95 far above the baseline: a failure with --fail-on-regression
    const regression = childrenNamed(suites[2]!, 'testcase').find(
      (c) => c.attrs.name === 'scheduler-failover lease.takeover_s p95',
    )!;
    expect(childrenNamed(regression, 'failure')[0]!.attrs.message).toMatch(/^regression: p95: 0\.40 s → /);
    expect(Number(root.attrs.failures)).toBeGreaterThanOrEqual(2);
  });

  it('summary.md shows the verdict, per-metric statistics, aggregates, iterations and the baseline', () => {
    const md = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/^## ❌ FAIL: game-day quarterly on lab$/m);
    expect(md).toMatch(/^### scheduler-failover: 2\/3 iterations passed$/m);
    expect(md).toMatch(
      /^\| `lease\.takeover_s` \| 3 \| 0 \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \|$/m,
    );
    expect(md).toMatch(/^\| `p\(95\)\(lease\.takeover_s\) < 18` \| [\d.]+ ± [\d.]+ s \| ✅ pass \|$/m);
    expect(md).toMatch(/^### Baseline: reports\/last-quarter$/m);
    expect(md).toMatch(
      /\| scheduler-failover \| `lease\.takeover_s` \| p95 \| 0\.40 s \| .* \| \*\*REGRESSION\*\* \|/,
    );
    expect(md).toMatch(/`scheduler-failover-02`/);
  });

  it('report.html is self-contained: inline SVG distributions, escaped text, no external requests', () => {
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<script|@import|url\(/i);
    expect(html).toContain('&lt;drill&gt; &amp; &quot;friends&quot;');
    expect((html.match(/<svg class="plot"/g) ?? []).length).toBeGreaterThan(6);
    expect(html).toContain('<a href="scheduler-failover-01/report.html">');
    expect(html).toMatch(/aria-label="lease\.takeover_s: 3 values from/);
  });
});

describe('stripPlot', () => {
  it('draws a dot per measured iteration, the p50–p95 box, the bound and the baseline', () => {
    const svg = stripPlot(
      {
        metric: 'lease.takeover_s',
        unit: 's',
        count: 3,
        unknown: 1,
        min: 1,
        p50: 2,
        p95: 4,
        max: 4,
        values: [1, 2, null, 4],
        errorS: 0,
      },
      [{ value: 5, label: 'lease.takeover_s < 5' }],
      [
        {
          drill: 'd',
          metric: 'lease.takeover_s',
          unit: 's',
          stat: 'p95',
          baseline: 3,
          current: 4,
          delta: 1,
          deltaPct: 0.33,
          status: 'regression',
        },
      ],
    );
    expect((svg.match(/<circle/g) ?? []).length).toBe(3);
    expect(svg).toContain('class="box"');
    expect(svg).toContain('class="bound"');
    expect(svg).toContain('class="base regressed"');
    expect(svg).toContain('<title>iteration 4: 4.00 s</title>');
  });

  it('says so when nothing was measured', () => {
    const svg = stripPlot(
      {
        metric: 'raft.reelection_s',
        unit: 's',
        count: 0,
        unknown: 2,
        min: null,
        p50: null,
        p95: null,
        max: null,
        values: [null, null],
        errorS: 0,
      },
      [],
    );
    expect(svg).toContain('not measured (2 unknown)');
  });
});

describe('displayedStats', () => {
  const s = (metric: string, values: (number | null)[]) => ({
    metric,
    unit: 's' as const,
    count: values.filter((v) => v !== null).length,
    unknown: values.filter((v) => v === null).length,
    min: null,
    p50: null,
    p95: null,
    max: null,
    values,
    errorS: 0,
  });
  it('keeps unlabelled metrics and labelled ones that add something', () => {
    const shown = displayedStats([
      s('lease.takeover_s', [1, 2]),
      s('lease.takeover_s{lease=kube-system/kube-scheduler}', [1, 2]),
      s('lease.takeover_s{lease=kube-system/kube-controller-manager}', [3, null]),
      s('raft.catchup_s{member=master-1}', [null, null]),
      s('raft.reelection_s', [null, null]),
    ]).map((x) => x.metric);
    expect(shown).toEqual([
      'lease.takeover_s',
      'lease.takeover_s{lease=kube-system/kube-controller-manager}',
      'raft.reelection_s',
    ]);
  });
});
