/** The game-day orchestration against fakes: order, waits, stops, statistics, exit codes. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Drill } from '../config/schema.js';
import type { MetricResult } from '../metrics/types.js';
import type { Outcome, RunResult } from '../report/result.js';
import { evaluateSlos, sloExitCode } from '../slo/evaluate.js';
import { DEFAULT_TOLERANCE } from './baseline.js';
import type { RunSummary } from '../report/suite/result.js';
import type { GameDayPlan } from './plan.js';
import { runGameDay, type GameDayDeps, type GameDayDrill, type GameDayInput } from './run.js';

const timings = { leaseDuration: 4, renewDeadline: 3, retryPeriod: 1 };

function drill(name: string, slo: string[]): GameDayDrill {
  return {
    file: `/drills/${name}.yaml`,
    digest: 'sha256:x',
    drill: {
      apiVersion: 'kha-drill/v1',
      kind: 'Drill',
      metadata: { name, description: `${name} drill`, tags: [] },
      allowQuorumLoss: false,
      safety: { switch: true },
      requires: [],
      watchers: { lease: { leases: ['kube-system/kube-scheduler'] } },
      steadyState: [{ check: 'etcdHealthy' }],
      inject: [{ action: 'wait', duration: '1s' }],
      observe: { timeout: '10s', settle: '1s' },
      restore: [],
      slo,
      abort: [],
    } as Drill,
  };
}

const metric = (name: string, value: number | null, unit: MetricResult['unit'] = 's'): MetricResult => ({
  name,
  value,
  unit,
  errorS: 0,
  status: value === null ? 'unknown' : 'measured',
});

/** What the engine would return for a run with these metrics, judged by the slo it was given. */
function result(d: GameDayDrill, metrics: MetricResult[], outcome?: Outcome): RunResult {
  const verdicts = evaluateSlos(d.drill.slo, metrics, timings);
  const exitCode =
    outcome === 'restore-failed'
      ? 5
      : outcome === 'not-steady'
        ? 3
        : outcome === 'error'
          ? 4
          : sloExitCode(verdicts);
  return {
    schemaVersion: 1,
    harnessVersion: '0.1.0',
    runId: 'r',
    drill: { name: d.drill.metadata.name, description: '', tags: [], file: d.file, digest: d.digest },
    inventory: { cluster: 'lab', file: 'inv.yaml', digest: 'sha256:i', masters: ['master-1'] },
    startedAt: new Date().toISOString(),
    endedAt: new Date().toISOString(),
    durationS: 3,
    tInject: 1,
    tRestore: 2,
    targets: {},
    steps: [],
    metrics,
    verdicts,
    restore: { ok: outcome !== 'restore-failed', pending: [] },
    outcome: outcome ?? (exitCode === 0 ? 'pass' : 'fail'),
    exitCode,
    summary: `${d.drill.metadata.name} summary`,
    errors: [],
  };
}

interface Script {
  /** per drill name, the takeover value (or a full metric list / outcome) of each iteration */
  [drill: string]: (number | null | { metrics?: MetricResult[]; outcome?: Outcome })[];
}

let suiteDir: string;
beforeEach(() => {
  suiteDir = mkdtempSync(path.join(os.tmpdir(), 'kha-gameday-'));
});
afterEach(() => rmSync(suiteDir, { recursive: true, force: true }));

function setup(
  plan: Partial<GameDayPlan> & { drills: GameDayPlan['drills'] },
  drills: GameDayDrill[],
  script: Script,
  extra: {
    steadyOk?: (call: number) => boolean;
    baseline?: RunSummary;
    failOnRegression?: boolean;
    signalAt?: { call: 'sleep' | 'run'; n: number };
  } = {},
) {
  const calls: string[] = [];
  const counters: Record<string, number> = {};
  const handlers: Record<string, () => void> = {};
  let runs = 0;
  let sleeps = 0;
  let steadies = 0;
  const deps: GameDayDeps = {
    runIteration: async (d, runDir) => {
      runs++;
      const name = d.drill.metadata.name;
      const n = (counters[name] = (counters[name] ?? 0) + 1);
      calls.push(`run ${name} #${n} ${path.basename(runDir)} slo=${d.drill.slo.join(';')}`);
      expect(statSync(runDir).isDirectory()).toBe(true);
      if (extra.signalAt?.call === 'run' && extra.signalAt.n === runs) handlers.SIGINT?.();
      const step = script[name]?.[n - 1];
      if (step === undefined || step === null || typeof step === 'number')
        return result(d, [metric('lease.takeover_s', step ?? null), metric('lease.transitions', 1, 'count')]);
      return result(d, step.metrics ?? [], step.outcome);
    },
    waitSteady: async () => {
      steadies++;
      calls.push('steady');
      const ok = extra.steadyOk ? extra.steadyOk(steadies) : true;
      return { ok, detail: ok ? 'held' : 'etcd has no leader' };
    },
    sleep: async (ms) => {
      sleeps++;
      calls.push(`sleep ${ms}`);
      if (extra.signalAt?.call === 'sleep' && extra.signalAt.n === sleeps) handlers.SIGINT?.();
    },
    log: { info: () => {}, warn: (m) => calls.push(`warn ${m}`) },
    onSignal: (sig, h) => {
      handlers[sig] = h;
      return () => delete handlers[sig];
    },
  };
  const input: GameDayInput = {
    plan: {
      name: 'test',
      description: 'd',
      file: null,
      digest: null,
      cooldownS: 30,
      stopOnFail: false,
      ...plan,
    },
    drills,
    inventory: { cluster: 'lab', file: 'inv.yaml', digest: 'sha256:i', masters: ['master-1'] },
    timings,
    suiteDir,
    runId: 'suite-1',
    startedAt: new Date().toISOString(),
    options: {
      cooldownS: 30,
      stopOnFail: false,
      steadyTimeoutS: 60,
      tolerance: DEFAULT_TOLERANCE,
      failOnRegression: extra.failOnRegression ?? false,
      lock: null,
    },
    baseline: extra.baseline ?? null,
    harnessVersion: '0.1.0',
  };
  return { run: () => runGameDay(input, deps), calls };
}

const planned = (ref: string, iterations: number, suiteSlo: string[] = [], cooldownS = 5) => ({
  ref,
  file: `/drills/${ref}.yaml`,
  iterations,
  suiteSlo,
  cooldownS,
});

describe('runGameDay', () => {
  it('runs each drill N times in order, waiting for steady state then the cooldown between runs', async () => {
    const a = drill('alpha', ['lease.takeover_s < 3']);
    const b = drill('beta', ['lease.takeover_s < 3']);
    const { run, calls } = setup(
      { drills: [planned('alpha', 2, [], 5), planned('beta', 2, [], 7)] },
      [a, b],
      {
        alpha: [1, 2],
        beta: [1.5, 2.5],
      },
    );
    const r = await run();
    expect(calls).toEqual([
      'run alpha #1 alpha-01 slo=lease.takeover_s < 3',
      'steady',
      'sleep 5000',
      'run alpha #2 alpha-02 slo=lease.takeover_s < 3',
      'steady',
      'sleep 5000', // the cooldown after alpha's iterations is alpha's
      'run beta #1 beta-01 slo=lease.takeover_s < 3',
      'steady',
      'sleep 7000',
      'run beta #2 beta-02 slo=lease.takeover_s < 3',
    ]);
    expect(r).toMatchObject({ outcome: 'pass', exitCode: 0, stopped: null });
    expect(r.summary).toBe('4/4 iterations passed');
    expect(r.drills[0]!.stats.find((s) => s.metric === 'lease.takeover_s')).toMatchObject({
      count: 2,
      min: 1,
      p50: 1,
      p95: 2,
      max: 2,
      values: [1, 2],
    });
  });

  it('applies suite SLO overrides per iteration and judges aggregates across iterations', async () => {
    const a = drill('alpha', [
      'lease.takeover_s < 3',
      'lease.transitions == 1',
      'p(95)(lease.takeover_s) < 9',
    ]);
    const { run, calls } = setup(
      { drills: [planned('alpha', 3, ['lease.takeover_s < 10', 'p(95)(lease.takeover_s) < 4'], 0)] },
      [a],
      { alpha: [1, 2, 5] },
    );
    const r = await run();
    expect(calls[0]).toBe('run alpha #1 alpha-01 slo=lease.transitions == 1;lease.takeover_s < 10');
    expect(calls.filter((c) => c.startsWith('sleep'))).toEqual([]); // cooldown 0
    const d = r.drills[0]!;
    expect(d.aggregateSlo).toEqual(['p(95)(lease.takeover_s) < 4']);
    expect(d.aggregateVerdicts).toMatchObject([{ status: 'fail', value: 5 }]);
    expect(d.iterations.every((it) => it.outcome === 'pass')).toBe(true);
    expect(r).toMatchObject({ outcome: 'fail', exitCode: 1 });
    expect(r.summary).toBe('3/3 iterations passed; 0/1 aggregate SLOs held');
  });

  it('reports an SLO failure and goes on (run-all), exit 1', async () => {
    const a = drill('alpha', ['lease.takeover_s < 3']);
    const { run } = setup({ drills: [planned('alpha', 3)] }, [a], { alpha: [1, 9, 1] });
    const r = await run();
    expect(r.drills[0]!.iterations.map((i) => i.outcome)).toEqual(['pass', 'fail', 'pass']);
    expect(r).toMatchObject({ outcome: 'fail', exitCode: 1, stopped: null });
  });

  it('stops at the first failure with stopOnFail', async () => {
    const a = drill('alpha', ['lease.takeover_s < 3']);
    const { run } = setup({ drills: [planned('alpha', 3)], stopOnFail: true }, [a], { alpha: [1, 9, 1] });
    const r = await run();
    expect(r.drills[0]!.iterations).toHaveLength(2);
    expect(r.stopped).toMatch(/^stopOnFail: alpha #2 ended fail/);
    expect(r.summary).toBe('1/2 iterations passed (3 planned)');
  });

  it('stops after a failed restore, exit 5, whatever comes next', async () => {
    const a = drill('alpha', []);
    const b = drill('beta', []);
    const { run, calls } = setup({ drills: [planned('alpha', 3), planned('beta', 1)] }, [a, b], {
      alpha: [1, { outcome: 'restore-failed' }, 1],
    });
    const r = await run();
    expect(calls.filter((c) => c.startsWith('run'))).toHaveLength(2);
    expect(r).toMatchObject({ outcome: 'restore-failed', exitCode: 5 });
    expect(r.stopped).toMatch(/restore failed/);
  });

  it('continues after a not-steady iteration only once steady state holds again', async () => {
    const a = drill('alpha', []);
    const { run } = setup({ drills: [planned('alpha', 3)] }, [a], {
      alpha: [{ outcome: 'not-steady' }, 1, 1],
    });
    const r = await run();
    expect(r.drills[0]!.iterations).toHaveLength(3);
    expect(r).toMatchObject({ outcome: 'error', exitCode: 3 });
  });

  it('stops with exit 3 when steady state does not return', async () => {
    const a = drill('alpha', []);
    const { run } = setup(
      { drills: [planned('alpha', 3)] },
      [a],
      { alpha: [1, 1, 1] },
      { steadyOk: (n) => n < 2 },
    );
    const r = await run();
    expect(r.drills[0]!.iterations).toHaveLength(2);
    expect(r).toMatchObject({ outcome: 'error', exitCode: 3 });
    expect(r.stopped).toMatch(
      /steady state did not hold again within 60 s before alpha #3: etcd has no leader/,
    );
  });

  it('stops on Ctrl-C during a run (after its restore) and during a cooldown, exit 4', async () => {
    const a = drill('alpha', []);
    const during = setup(
      { drills: [planned('alpha', 3)] },
      [a],
      { alpha: [1, 1, 1] },
      { signalAt: { call: 'run', n: 1 } },
    );
    const r1 = await during.run();
    expect(r1.drills[0]!.iterations).toHaveLength(1);
    expect(r1).toMatchObject({ outcome: 'interrupted', exitCode: 4, stopped: 'interrupted by SIGINT' });
    const cooling = setup(
      { drills: [planned('alpha', 3)] },
      [a],
      { alpha: [1, 1, 1] },
      { signalAt: { call: 'sleep', n: 1 } },
    );
    const r2 = await cooling.run();
    expect(r2.drills[0]!.iterations).toHaveLength(1);
    expect(r2.outcome).toBe('interrupted');
  });

  it('compares with a baseline; a regression fails the run only with failOnRegression', async () => {
    const a = drill('alpha', []);
    const baseline: RunSummary = {
      kind: 'suite',
      dir: 'reports/before',
      runId: 'before',
      name: 'test',
      startedAt: '2026-01-01T00:00:00Z',
      metrics: [
        { drill: 'alpha', metric: 'lease.takeover_s', unit: 's', count: 2, unknown: 0, p50: 1, p95: 1 },
      ],
    };
    const soft = await setup({ drills: [planned('alpha', 2)] }, [a], { alpha: [3, 3] }, { baseline }).run();
    expect(soft.baseline?.regressions).toBe(2);
    expect(soft).toMatchObject({ outcome: 'pass', exitCode: 0 });
    expect(soft.summary).toMatch(/2 regressions against the baseline/);
    const hard = await setup(
      { drills: [planned('alpha', 2)] },
      [a],
      { alpha: [3, 3] },
      { baseline, failOnRegression: true },
    ).run();
    expect(hard).toMatchObject({ outcome: 'fail', exitCode: 1 });
  });

  it('names iteration directories uniquely when a suite lists a drill twice', async () => {
    const a = drill('alpha', []);
    const { run, calls } = setup({ drills: [planned('alpha', 1), planned('alpha', 1)] }, [a, a], {
      alpha: [1, 1],
    });
    await run();
    expect(calls.filter((c) => c.startsWith('run')).map((c) => c.split(' ')[3])).toEqual([
      'alpha-01',
      'alpha-01-2',
    ]);
  });
});
