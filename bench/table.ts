/** Plain-text tables for the benchmark's figures. Pure. */
import type { ErrorSummary, Spread } from './stats.js';
import type { AccuracyRow, MemoryFigures, OverheadFigures, SweepRow, Target } from './summary.js';

/** Left-aligned first column, right-aligned numbers, two spaces between columns. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const fmtMs = (v: number | null | undefined, d = 1) =>
  v === null || v === undefined ? 'n/a' : v.toFixed(d);
const fmtS = (s: Spread, d = 2) =>
  s.median === null ? 'n/a' : `${s.median.toFixed(d)} / ${s.p95!.toFixed(d)} / ${s.max!.toFixed(d)}`;
const triple = (e: ErrorSummary | undefined) =>
  e && e.n > 0 ? `${fmtMs(e.median)} / ${fmtMs(e.p95)} / ${fmtMs(e.max)}` : 'n/a';

export interface Rendered {
  accuracy: AccuracyRow[];
  overhead: OverheadFigures;
  sweep: SweepRow[];
  memory: MemoryFigures;
  targets: Target[];
  defaultPollMs: number;
}

export function renderAccuracy(rows: readonly AccuracyRow[]): string {
  return renderTable(
    [
      'drill',
      'metric',
      'n',
      'kha-drill |err| ms med/p95/max',
      'bias',
      '± bound',
      'outside ±',
      'runbook 1 s |err| med/p95/max',
      'ratio p95',
    ],
    rows.map((r) => [
      r.drill,
      r.metric,
      String(r.ours.n),
      triple(r.ours),
      fmtMs(r.ours.bias),
      fmtMs(r.boundMedianMs),
      `${r.outsideBound}/${r.ours.n}`,
      r.runbook ? triple(r.runbook) : '—',
      r.ratio === undefined ? '—' : r.ratio === null ? 'n/a' : `${r.ratio.toFixed(0)}×`,
    ]),
  );
}

export function renderOverhead(o: OverheadFigures): string {
  const general = renderTable(
    ['overhead (all accuracy runs)', 'median / p95 / max'],
    [
      ['command start → fault injected (s)', fmtS(o.injectAfterSpawnS)],
      [
        '  of which (medians, s): start-up / checks / baseline+watchers / inject',
        [
          o.injectBreakdown.startupS,
          o.injectBreakdown.checksS,
          o.injectBreakdown.watchersS,
          o.injectBreakdown.injectS,
        ]
          .map((v) => (v === null ? 'n/a' : v.toFixed(2)))
          .join(' / '),
      ],
      ['harness CPU while observing (% of one core)', fmtS(o.cpuPct, 1)],
      ['harness peak RSS while observing (MB)', fmtS(o.peakRssMb, 1)],
    ],
  );
  const reqs = renderTable(
    [
      'requests/s while observing',
      'per etcd member (status)',
      'per API server (/readyz)',
      'LB (/readyz)',
      'etcd writes',
    ],
    o.requests.map((r) => [
      r.drill,
      fmtMs(r.raftPerMember),
      fmtMs(r.apiPerServer),
      fmtMs(r.lb),
      fmtMs(r.writes),
    ]),
  );
  return `${general}\n\n${reqs}\n(plus one long-lived Lease watch per watched Lease, through the LB)`;
}

export function renderSweep(rows: readonly SweepRow[], defaultPollMs: number): string {
  return renderTable(
    [
      'raft poll after inject',
      'runs',
      'reelection |err| ms med/p95/max',
      'bias ms',
      'status req/s per member',
      'CPU % med/max',
    ],
    rows.map((r) => [
      `${r.pollMs} ms${r.pollMs === defaultPollMs ? ' (default)' : ''}`,
      String(r.runs),
      triple(r.error),
      fmtMs(r.error.bias),
      fmtMs(r.raftReqPerMemberS),
      r.cpuPct.median === null ? 'n/a' : `${r.cpuPct.median.toFixed(1)} / ${r.cpuPct.max!.toFixed(1)}`,
    ]),
  );
}

export function renderMemory(m: MemoryFigures): string {
  const lines = [
    `RSS at the end of each run (one process per run): ${m.perRunEndMb.join(', ') || 'n/a'} MB (slope ${m.perRunSlopeKbPerRun ?? 'n/a'} kB/run)`,
  ];
  if (m.soakEndMb.length > 0)
    lines.push(
      `one process running ${m.soakDrill} ${m.soakEndMb.length}×, RSS as each drill ended: ${m.soakEndMb.join(', ')} MB (slope ${m.soakSlopeKbPerDrill ?? 'n/a'} kB/drill)`,
    );
  return lines.join('\n');
}

export function renderTargets(ts: readonly Target[]): string {
  return renderTable(
    ['target', 'goal', 'measured', 'met'],
    ts.map((t) => [t.name, t.goal, t.value, t.met === null ? 'n/a' : t.met ? 'yes' : 'NO']),
  );
}

export function renderAll(r: Rendered): string {
  return [
    'Accuracy vs ground truth (error = measured − truth; |err| in ms)',
    renderAccuracy(r.accuracy),
    '',
    'Overhead',
    renderOverhead(r.overhead),
    '',
    'Raft poll-period sweep (etcd-leader-kill; watchers.raft.faultInterval, interval 100 ms or the same when slower)',
    renderSweep(r.sweep, r.defaultPollMs),
    '',
    'Memory',
    renderMemory(r.memory),
    '',
    'Targets',
    renderTargets(r.targets),
  ].join('\n');
}
