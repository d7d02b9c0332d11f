import { describe, expect, it } from 'vitest';
import type { RunAnalysis } from './analyze.js';
import { accuracyRows, memoryFigures, overheadFigures, sweepRows, targets } from './summary.js';
import { renderAll, renderTable } from './table.js';

function run(
  drill: string,
  pollMs: number,
  errorMs: number | null,
  runbookMs: number | null,
  cpuPct = 5,
): RunAnalysis {
  const metric = drill === 'etcd-leader-kill' ? 'raft.reelection_s' : 'lease.takeover_s';
  return {
    drill,
    measure: drill === 'etcd-leader-kill' ? 'raft' : 'lease',
    pollMs,
    exitCode: 0,
    checks: [
      {
        metric,
        measuredS: 1,
        boundS: 0.1,
        truthS: 1,
        errorMs,
        ...(errorMs === null ? { note: 'unknown: x' } : {}),
      },
    ],
    observer: runbookMs === null ? {} : { [metric]: { errorMs: runbookMs, errorStartMs: runbookMs - 100 } },
    injectAfterSpawnS: 1.2,
    injectBreakdown: { startupS: 0.4, checksS: 0.2, watchersS: 0.4, injectS: 0.2 },
    observeCost: { cpuS: 0.1, cpuPct, peakRssKb: 81_920, windowS: 2, samples: 20 },
    endRssKb: 81_920,
    rates: {
      raftPerMember: { 'master-1': 1000 / pollMs, 'master-2': 1000 / pollMs },
      apiPerServer: { 'master-1': 10, lb: 10 },
      writes: 10,
      leaseEvents: 3,
      leaseLists: 1,
      windowS: 2,
    },
    problems: [],
  };
}

describe('summary', () => {
  const runs = [
    run('etcd-leader-kill', 100, 40, 500),
    run('etcd-leader-kill', 100, -60, 900),
    run('etcd-leader-kill', 100, null, 700),
    run('scheduler-crash', 100, 2, 400),
    run('scheduler-crash', 100, -4, 600),
  ];

  it('accuracy per drill and metric, with the runbook ratio at p95', () => {
    const rows = accuracyRows(runs);
    expect(rows.map((r) => [r.drill, r.metric, r.ours.n])).toEqual([
      ['etcd-leader-kill', 'raft.reelection_s', 2],
      ['scheduler-crash', 'lease.takeover_s', 2],
    ]);
    const raft = rows[0]!;
    expect(raft.ours.median).toBe(40);
    expect(raft.ours.bias).toBe(-10);
    expect(raft.boundMedianMs).toBeCloseTo(100, 9);
    expect(raft.missing).toEqual(['run 3: unknown: x']);
    expect(raft.outsideBound).toBe(0);
    // the truth 150 ms away from a value given as ± 100 ms: a miss
    expect(accuracyRows([run('scheduler-crash', 100, 150, 400)])[0]!.outsideBound).toBe(1);
    expect(raft.runbook!.n).toBe(3);
    expect(raft.ratio).toBeCloseTo(raft.runbook!.p95! / raft.ours.p95!, 9);
  });

  it('overhead, sweep and memory figures', () => {
    const o = overheadFigures(runs);
    expect(o.injectAfterSpawnS.median).toBe(1.2);
    expect(o.injectBreakdown.watchersS).toBe(0.4);
    expect(o.peakRssMb.max).toBe(80);
    expect(o.requests[0]).toEqual({
      drill: 'etcd-leader-kill',
      raftPerMember: 10,
      apiPerServer: 10,
      lb: 10,
      writes: 10,
    });
    const sweep = sweepRows([...runs.slice(0, 3), run('etcd-leader-kill', 20, 10, null, 15)]);
    expect(sweep.map((s) => [s.pollMs, s.runs, s.raftReqPerMemberS, s.cpuPct.median])).toEqual([
      [20, 1, 50, 15],
      [100, 3, 10, 5],
    ]);
    expect(sweep[1]!.error).toMatchObject({ n: 2, median: 40, max: 60, bias: -10 });
    const mem = memoryFigures(runs, { drill: 'scheduler-failover', endRssKb: [80_000, 80_512, 81_024] });
    expect(mem.soakSlopeKbPerDrill).toBe(512);
    expect(mem.perRunSlopeKbPerRun).toBe(0);
  });

  it('targets: met, missed, or n/a without data', () => {
    const t = targets(accuracyRows(runs), overheadFigures(runs), memoryFigures(runs));
    const by = Object.fromEntries(t.map((x) => [x.name, x.met]));
    expect(by).toEqual({
      'p95 error raft.reelection_s (end to end)': false,
      'p95 error lease.takeover_s (end to end)': true,
      'p95 error lease.leaderless_s (end to end)': null,
      'truths inside the printed ± bound': true,
      'vs the 1 s runbook observer (p95)': false,
      'command start → fault injected (p95)': false,
      'harness CPU while observing': true,
      'memory flat over repeated drills': null,
    });
  });

  it('renders aligned tables', () => {
    expect(
      renderTable(
        ['a', 'num'],
        [
          ['long name', '1.0'],
          ['b', '10.25'],
        ],
      ),
    ).toBe(['a            num', '---------  -----', 'long name    1.0', 'b          10.25'].join('\n'));
    const text = renderAll({
      accuracy: accuracyRows(runs),
      overhead: overheadFigures(runs),
      sweep: sweepRows(runs),
      memory: memoryFigures(runs),
      targets: targets(accuracyRows(runs), overheadFigures(runs), memoryFigures(runs)),
      defaultPollMs: 100,
    });
    expect(text).toContain('100 ms (default)');
    // every table's rows have as many cells as its header
    const sweepHeader = text.split('\n').find((l) => l.startsWith('raft poll'))!;
    expect(sweepHeader).toContain('raft poll after inject');
    expect(text).toMatch(/etcd-leader-kill\s+raft\.reelection_s\s+2/);
  });
});
