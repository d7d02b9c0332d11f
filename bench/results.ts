/**
 * The bench's record: figures from the runs (./summary.ts), the machine, versions, the lab and
 * where the ground truth came from, every run compacted; written to bench/results/<UTC>.json and
 * latest.json, and rendered as the tables the bench prints.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunAnalysis } from './analyze.js';
import { LEADER_ELECTION_VERBOSITY, type BenchLab } from './lab.js';
import type { Machine, Versions } from './machine.js';
import { transportTable, type TransportComparison } from './transport.js';
import type { Options } from './options.js';
import { accuracyRows, memoryFigures, overheadFigures, sweepRows, targets } from './summary.js';
import { renderAll } from './table.js';

export interface IterationRecord extends RunAnalysis {
  iteration: number;
  attempts: number;
  summary: string;
  /** lab units found stopped after the run and started by the bench (`master/unit`) */
  healed: string[];
}

export interface Soak {
  drill: string;
  endRssKb: number[];
  exitCode: number;
  outcomes: string[];
}

export const GROUND_TRUTH = {
  fault:
    'the fault\'s true moment, from systemd on the victim master (journalctl -u <unit> -o json over SSH, µs): the unit\'s main process leaving ("Main process exited, code=killed" after a kill, "Stopped …" after a stop); a Lease taken before that (released during a graceful stop) counts from the stop\'s "Stopping …" line; a partition is logged by nothing, so its moment is the inject command\'s return',
  raft: 'etcd journal on every master: the first zap "raft.node: <id> elected leader <id> at term N" line above the pre-fault term, across members (ms resolution); re-election = that − the fault\'s true moment',
  lease:
    'kube-scheduler / kube-controller-manager journal on every master: the new holder\'s klog "Successfully acquired lease" line (µs) on a master other than the pre-fault holder; takeover = that − the fault\'s true moment',
  leaderless:
    "the same acquired line minus the fault's true moment: kha-drill's lease.leaderless_s is the new holder's acquireTime (its master's clock, mapped by the measured offset) from t_fault, and the klog line follows that write",
  observer:
    "the lab's etcdctl endpoint status -w json and kubectl get lease -o json once a second; the operator's duration runs from their inject command's return to the end of the poll that first showed the change",
};

interface ResultsInput {
  opts: Options;
  startedAt: Date;
  machine: Machine;
  versions: Versions;
  lab: BenchLab;
  defaultPollMs: number;
  observerPeriodMs: number;
  runs: IterationRecord[];
  sweepRuns: IterationRecord[];
  soak: Soak | undefined;
  transport: TransportComparison | undefined;
}

/** Exit codes, retries and units started again, per drill and poll period. */
function outcomesOf(all: readonly IterationRecord[]) {
  const unique = [...new Set(all)];
  const keys = [...new Set(unique.map((r) => `${r.drill}@${r.pollMs}`))];
  return keys.map((key) => {
    const mine = unique.filter((r) => `${r.drill}@${r.pollMs}` === key);
    const exitCodes: Record<string, number> = {};
    for (const r of mine) exitCodes[String(r.exitCode)] = (exitCodes[String(r.exitCode)] ?? 0) + 1;
    return {
      drill: mine[0]!.drill,
      pollMs: mine[0]!.pollMs,
      runs: mine.length,
      exitCodes,
      retried: mine.filter((r) => r.attempts > 1).length,
      healed: mine.flatMap((r) => r.healed),
    };
  });
}

function compact(r: IterationRecord) {
  return {
    drill: r.drill,
    iteration: r.iteration,
    pollMs: r.pollMs,
    exitCode: r.exitCode,
    attempts: r.attempts,
    checks: r.checks,
    observer: r.observer,
    injectAfterSpawnS: r.injectAfterSpawnS,
    observeCpuPct: r.observeCost?.cpuPct ?? null,
    observePeakRssKb: r.observeCost?.peakRssKb ?? null,
    endRssKb: r.endRssKb,
    rates: r.rates,
    problems: r.problems,
    healed: r.healed,
    summary: r.summary,
  };
}

export function writeResults(i: ResultsInput): { table: string; file: string; durationS: number } {
  const outcomes = outcomesOf([...i.runs, ...i.sweepRuns]);
  for (const o of outcomes)
    process.stderr.write(
      `${o.drill} @${o.pollMs} ms: ${o.runs} runs, exit codes ${Object.entries(o.exitCodes)
        .map(([c, n]) => `${c}×${n}`)
        .join(
          ', ',
        )}; retried ${o.retried}; units started again after runs: ${o.healed.length ? o.healed.join(', ') : 'none'}\n`,
    );
  const accuracy = accuracyRows(i.runs);
  const overhead = overheadFigures(i.runs);
  const sweep = sweepRows(i.sweepRuns);
  const memory = memoryFigures(i.runs, i.soak);
  const tgs = targets(accuracy, overhead, memory);
  const endedAt = new Date();
  const durationS = Math.round((endedAt.getTime() - i.startedAt.getTime()) / 100) / 10;
  const argv = process.argv.slice(2);
  const result = {
    schema: 'kha-drill-bench/1',
    startedAt: i.startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationS,
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    quick: i.opts.quick,
    iterations: i.opts.iterations,
    machine: i.machine,
    versions: i.versions,
    lab: {
      kind: 'systemd-nspawn masters with upstream etcd and Kubernetes, HAProxy (kha-drill lab up)',
      name: i.lab.name,
      net: `198.18.${i.lab.net}.0/24`,
      masters: i.lab.masters.length,
      kubernetes: i.lab.kubernetesVersion,
      etcd: i.lab.etcdVersion,
      leaseDuration: i.opts.leaseDuration,
      renewDeadline: i.opts.renewDeadline,
      retryPeriod: i.opts.retryPeriod,
      leaderElectionVerbosity: LEADER_ELECTION_VERBOSITY,
    },
    defaultPollMs: i.defaultPollMs,
    observerPeriodMs: i.observerPeriodMs,
    groundTruth: GROUND_TRUTH,
    accuracy,
    overhead,
    sweep,
    memory,
    targets: tgs,
    outcomes,
    soak: i.soak,
    transport: i.transport ?? null,
    runs: i.runs.map(compact),
    sweepRuns: i.sweepRuns.filter((r) => r.pollMs !== i.defaultPollMs).map(compact),
  };
  const table = [
    renderAll({
      accuracy,
      overhead,
      sweep,
      memory,
      targets: tgs,
      defaultPollMs: i.defaultPollMs,
    }),
    ...(i.transport ? ['', transportTable(i.transport)] : []),
  ].join('\n');
  mkdirSync(i.opts.results, { recursive: true });
  const stamp = i.startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const json = `${JSON.stringify(result, null, 2)}\n`;
  for (const name of [`${stamp}.json`, 'latest.json']) {
    const file = path.join(i.opts.results, name);
    writeFileSync(`${file}.tmp`, json);
    renameSync(`${file}.tmp`, file);
  }
  return { table, file: path.join(i.opts.results, `${stamp}.json`), durationS };
}
