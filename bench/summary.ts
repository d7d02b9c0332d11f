/**
 * From per-run analyses to the benchmark's figures: accuracy per drill and metric, the runbook
 * observer's, overhead, the poll sweep, memory, and each target met or not. Pure.
 */
import type { RunAnalysis } from './analyze.js';
import { slope, spread, summarizeErrors, type ErrorSummary, type Spread } from './stats.js';

export interface AccuracyRow {
  drill: string;
  metric: string;
  ours: ErrorSummary;
  /** median of kha-drill's own ± bound, ms */
  boundMedianMs: number | null;
  /** runs whose truth fell outside kha-drill's own ± bound (of those with both) */
  outsideBound: number;
  /** the runbook observer, when it timed this metric */
  runbook?: ErrorSummary;
  /** runbook p95 / ours p95 */
  ratio?: number | null;
  /** runs that produced no error figure, with why */
  missing: string[];
}

export interface SweepRow {
  pollMs: number;
  runs: number;
  error: ErrorSummary;
  /** status polls per second to each etcd member during observe (median over runs of the members' mean) */
  raftReqPerMemberS: number | null;
  cpuPct: Spread;
}

export interface OverheadFigures {
  injectAfterSpawnS: Spread;
  /** medians of where that time went, s */
  injectBreakdown: {
    startupS: number | null;
    checksS: number | null;
    watchersS: number | null;
    injectS: number | null;
  };
  cpuPct: Spread;
  peakRssMb: Spread;
  /** per drill: median over runs of the per-subject rate during observe */
  requests: {
    drill: string;
    raftPerMember: number | null;
    apiPerServer: number | null;
    lb: number | null;
    writes: number | null;
  }[];
}

export interface MemoryFigures {
  /** RSS at the end of each run, in run order (one process per run), MB */
  perRunEndMb: number[];
  perRunSlopeKbPerRun: number | null;
  /** one process running the drill repeatedly: RSS when each drill ended, MB */
  soakEndMb: number[];
  soakSlopeKbPerDrill: number | null;
  soakDrill?: string;
}

export interface Target {
  name: string;
  goal: string;
  value: string;
  met: boolean | null;
}

const round = (v: number | null, d = 1) => (v === null ? null : Math.round(v * 10 ** d) / 10 ** d);
const median = (xs: number[]) => spread(xs).median;

export function accuracyRows(runs: readonly RunAnalysis[]): AccuracyRow[] {
  const keys: { drill: string; metric: string }[] = [];
  for (const r of runs)
    for (const c of r.checks)
      if (!keys.some((k) => k.drill === r.drill && k.metric === c.metric))
        keys.push({ drill: r.drill, metric: c.metric });
  return keys.map(({ drill, metric }) => {
    const mine = runs.filter((r) => r.drill === drill);
    const errors: number[] = [];
    const bounds: number[] = [];
    const runbook: number[] = [];
    const missing: string[] = [];
    let outsideBound = 0;
    let hasRunbook = false;
    mine.forEach((r, i) => {
      const c = r.checks.find((x) => x.metric === metric);
      if (c?.errorMs !== null && c?.errorMs !== undefined) errors.push(c.errorMs);
      else missing.push(`run ${i + 1}: ${c?.note ?? r.problems.join('; ')}`);
      if (c?.boundS !== null && c?.boundS !== undefined) {
        bounds.push(c.boundS * 1000);
        if (c.errorMs !== null && Math.abs(c.errorMs) > c.boundS * 1000) outsideBound++;
      }
      const o = r.observer[metric];
      if (o) {
        hasRunbook = true;
        if (o.errorMs !== null) runbook.push(o.errorMs);
      }
    });
    const row: AccuracyRow = {
      drill,
      metric,
      ours: summarizeErrors(errors),
      boundMedianMs: median(bounds),
      outsideBound,
      missing,
    };
    if (hasRunbook) {
      row.runbook = summarizeErrors(runbook);
      const a = row.runbook.p95;
      const b = row.ours.p95;
      row.ratio = a !== null && b !== null && b > 0 ? a / b : null;
    }
    return row;
  });
}

const meanOf = (rec: Record<string, number>, keep: (k: string) => boolean): number | null => {
  const vs = Object.entries(rec)
    .filter(([k]) => keep(k))
    .map(([, v]) => v);
  return vs.length > 0 ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
};

export function overheadFigures(runs: readonly RunAnalysis[]): OverheadFigures {
  const drills = [...new Set(runs.map((r) => r.drill))];
  const num = (xs: (number | null | undefined)[]) => xs.filter((x): x is number => typeof x === 'number');
  return {
    injectAfterSpawnS: spread(num(runs.map((r) => r.injectAfterSpawnS))),
    injectBreakdown: {
      startupS: median(num(runs.map((r) => r.injectBreakdown?.startupS))),
      checksS: median(num(runs.map((r) => r.injectBreakdown?.checksS))),
      watchersS: median(num(runs.map((r) => r.injectBreakdown?.watchersS))),
      injectS: median(num(runs.map((r) => r.injectBreakdown?.injectS))),
    },
    cpuPct: spread(num(runs.map((r) => r.observeCost?.cpuPct))),
    peakRssMb: spread(num(runs.map((r) => (r.observeCost ? r.observeCost.peakRssKb / 1024 : null)))),
    requests: drills.map((drill) => {
      const rates = runs.filter((r) => r.drill === drill && r.rates).map((r) => r.rates!);
      return {
        drill,
        raftPerMember: median(num(rates.map((x) => meanOf(x.raftPerMember, () => true)))),
        apiPerServer: median(num(rates.map((x) => meanOf(x.apiPerServer, (k) => k !== 'lb')))),
        lb: median(num(rates.map((x) => x.apiPerServer.lb))),
        writes: median(rates.map((x) => x.writes)),
      };
    }),
  };
}

export function sweepRows(runs: readonly RunAnalysis[], metric = 'raft.reelection_s'): SweepRow[] {
  const polls = [...new Set(runs.map((r) => r.pollMs))].sort((a, b) => a - b);
  return polls.map((pollMs) => {
    const mine = runs.filter((r) => r.pollMs === pollMs);
    const checks = mine
      .map((r) => r.checks.find((c) => c.metric === metric))
      .filter((c) => c !== undefined && c.errorMs !== null);
    const errors = checks.map((c) => c!.errorMs!);
    const perMember = mine
      .map((r) => (r.rates ? meanOf(r.rates.raftPerMember, () => true) : null))
      .filter((x): x is number => x !== null);
    return {
      pollMs,
      runs: mine.length,
      error: summarizeErrors(errors),
      raftReqPerMemberS: median(perMember),
      cpuPct: spread(
        mine.map((r) => r.observeCost?.cpuPct).filter((x): x is number => typeof x === 'number'),
      ),
    };
  });
}

export function memoryFigures(
  runs: readonly RunAnalysis[],
  soak?: { drill: string; endRssKb: number[] },
): MemoryFigures {
  const perRun = runs.map((r) => r.endRssKb).filter((x): x is number => x !== null);
  const out: MemoryFigures = {
    perRunEndMb: perRun.map((k) => round(k / 1024, 1)!),
    perRunSlopeKbPerRun: round(slope(perRun), 1),
    soakEndMb: (soak?.endRssKb ?? []).map((k) => round(k / 1024, 1)!),
    soakSlopeKbPerDrill: round(slope(soak?.endRssKb ?? []), 1),
  };
  if (soak) out.soakDrill = soak.drill;
  return out;
}

const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} ms`);

export function targets(
  accuracy: readonly AccuracyRow[],
  overhead: OverheadFigures,
  memory: MemoryFigures,
): Target[] {
  const out: Target[] = [];
  const p95Of = (metric: string) =>
    accuracy.filter((a) => a.metric === metric && a.ours.p95 !== null).map((a) => a.ours.p95!);
  for (const metric of ['raft.reelection_s', 'lease.takeover_s', 'lease.leaderless_s']) {
    const worst = p95Of(metric);
    const v = worst.length > 0 ? Math.max(...worst) : null;
    out.push({
      name: `p95 error ${metric} (end to end)`,
      goal: '≤ 10 ms',
      value: `${ms(v)} (worst drill)`,
      met: v === null ? null : v <= 10,
    });
  }
  const rows = accuracy.filter((a) => a.boundMedianMs !== null);
  const misses = rows.reduce((n, a) => n + a.outsideBound, 0);
  const judged = rows.reduce((n, a) => n + a.ours.n, 0);
  out.push({
    name: 'truths inside the printed ± bound',
    goal: 'every one',
    value: `${misses} outside of ${judged}`,
    met: judged === 0 ? null : misses === 0,
  });
  const ratios = accuracy.filter((a) => a.ratio !== undefined && a.ratio !== null).map((a) => a.ratio!);
  const minRatio = ratios.length > 0 ? Math.min(...ratios) : null;
  out.push({
    name: 'vs the 1 s runbook observer (p95)',
    goal: '≥ 100×',
    value: minRatio === null ? 'n/a' : `${minRatio.toFixed(1)}× (worst metric)`,
    met: minRatio === null ? null : minRatio >= 100,
  });
  const inj = overhead.injectAfterSpawnS;
  out.push({
    name: 'command start → fault injected (p95)',
    goal: '≤ 1 s',
    value: inj.p95 === null ? 'n/a' : `median ${inj.median!.toFixed(2)} s, p95 ${inj.p95.toFixed(2)} s`,
    met: inj.p95 === null ? null : inj.p95 <= 1,
  });
  const cpu = overhead.cpuPct;
  out.push({
    name: 'harness CPU while observing',
    goal: '≤ 5 % of one core',
    value: cpu.max === null ? 'n/a' : `median ${cpu.median!.toFixed(1)} %, max ${cpu.max.toFixed(1)} %`,
    met: cpu.median === null ? null : cpu.median <= 5,
  });
  const soak = memory.soakEndMb;
  const s = memory.soakSlopeKbPerDrill;
  out.push({
    name: 'memory flat over repeated drills',
    goal: 'no growth',
    value:
      soak.length > 1
        ? `${soak[0]} → ${soak[soak.length - 1]} MB over ${soak.length} drills in one process (slope ${s} kB/drill)`
        : 'n/a',
    // flat: less than 1 MB over the whole soak by the fitted slope
    met: s === null ? null : s * Math.max(1, soak.length - 1) < 1024,
  });
  return out;
}
