/**
 * `npm run bench`: how exact are kha-drill's timings, and what does the harness cost?
 *
 * Runs on the laptop side of the lab (`npm run bench` wraps it in `kha-drill lab exec`). Starts its
 * own real lab, runs the real CLI (`kha-drill run <drill> --format json`) N times per drill as a
 * subprocess, and compares its metrics with the ground truth the components log in each master's
 * journal (./lab.ts, ./truth.ts) and with a one-second runbook observer polling etcdctl and
 * kubectl meanwhile. Samples the harness's CPU and RSS from /proc, counts the watchers' requests
 * from the timeline, sweeps the raft poll period, and runs one process through repeated drills for
 * memory. Always `lab down` at the end, on failure and on Ctrl-C too. See `--help`.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { Drill } from '../src/config/schema.js';
import type { RunResult } from '../src/report/result.js';
import { analyzeRun, type Measure, type RunAnalysis } from './analyze.js';
import {
  cli,
  CLI,
  handleSignals,
  harness,
  Interrupted,
  isInterrupted,
  log,
  ROOT,
  sleep,
  throwIfInterrupted,
} from './harness.js';
import {
  groundTruth,
  heal,
  labDown,
  labEtcdTls,
  labUp,
  LEADER_ELECTION_VERBOSITY,
  onLaptopSide,
  type BenchLab,
} from './lab.js';
import { machine, ticksPerSecond, versions } from './machine.js';
import { RunbookObserver } from './observer.js';
import { durationMs, HELP, parseOptions } from './options.js';
import { writeResults, type IterationRecord } from './results.js';
import { fmtMs } from './table.js';
import { parseTimeline } from './timeline.js';
import { compareTransports, transportTable, type TransportComparison } from './transport.js';

const SCHEDULER_LEASE = 'kube-system/kube-scheduler';
const OBSERVER_PERIOD_MS = 1000;
/** journal lines of the Lease unit from this long before a run's spawn: the holder's renewals */
const TRUTH_LOOKBACK_MS = 5000;
/**
 * The drill one process repeats for the memory check: graceful, so every run restores cleanly
 * and the process goes on to the next (it stops at the first exit ≥ 3).
 */
const SOAK_DRILL = 'scheduler-failover';

interface Spec {
  drill: string;
  file: string;
  measure: Measure;
  pollMs: number;
  /** the Lease judged (and the runbook observer's `kubectl get lease`) */
  lease: string;
  /** the unit the fault hits, and whether systemd records the fault (see analyzeRun) */
  unit: string;
  fault: 'process' | 'rule';
}

/** The drills the bench judges, what each measures and where the fault's true moment is recorded. */
const DRILLS: Omit<Spec, 'file' | 'pollMs'>[] = [
  { drill: 'etcd-leader-kill', measure: 'raft', lease: SCHEDULER_LEASE, unit: 'etcd', fault: 'process' },
  { drill: 'etcd-leader-partition', measure: 'raft', lease: SCHEDULER_LEASE, unit: 'etcd', fault: 'rule' },
  {
    drill: 'scheduler-crash',
    measure: 'lease',
    lease: SCHEDULER_LEASE,
    unit: 'kube-scheduler',
    fault: 'process',
  },
  {
    drill: 'scheduler-failover',
    measure: 'lease',
    lease: SCHEDULER_LEASE,
    unit: 'kube-scheduler',
    fault: 'process',
  },
  {
    drill: 'controller-manager-failover',
    measure: 'lease',
    lease: 'kube-system/kube-controller-manager',
    unit: 'kube-controller-manager',
    fault: 'process',
  },
];

function runDirIn(out: string): string | null {
  if (!existsSync(out)) return null;
  const dirs = readdirSync(out, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  return dirs.length > 0 ? path.join(out, dirs[dirs.length - 1]!) : null;
}

const readOr = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

const drillFile = (name: string) => path.join(ROOT, 'drills', `${name}.yaml`);

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2), process.env, ROOT);
  if (!opts) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  if (!onLaptopSide())
    throw new Error(
      'the lab is reachable only from the laptop namespace: run npm run bench (kha-drill lab exec -- node dist-bench/bench/run.js …)',
    );
  const startedAt = new Date();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kha-bench-work-'));
  const env: NodeJS.ProcessEnv = { ...process.env, KHA_STATE_DIR: path.join(tmp, 'state'), NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('ETCDCTL_')) delete env[k];
  delete env.KHA_INVENTORY;
  delete env.KHA_LAB_DIR;
  delete env.KUBECONFIG;
  const mach = machine();
  const ticks = ticksPerSecond();
  log(
    `kha-drill bench: ${mach.cpuModel} ×${mach.cores}, ${mach.memoryGb} GB, kernel ${mach.kernel}, load ${mach.loadAvg1}`,
  );

  let labStarted = false;
  try {
    // a lab left behind by a killed bench would make `lab up` refuse
    await labDown(opts.dir, false, env);
    labStarted = true;
    log(
      `lab up: ${opts.name} on 198.18.${opts.net}.0/24, leases ${opts.leaseDuration}/${opts.renewDeadline}/${opts.retryPeriod}, leader-election verbosity ${LEADER_ELECTION_VERBOSITY}, dir ${opts.dir}`,
    );
    const lab: BenchLab = await labUp(opts, env);
    throwIfInterrupted();
    const vers = versions(CLI, ROOT, {
      kubernetes: lab.kubernetesVersion,
      etcd: lab.etcdVersion,
      env: lab.env,
    });
    log(
      `versions: node ${vers.node}, Kubernetes ${vers.kubernetes}, etcd ${vers.etcd}, kubectl ${vers.kubectl}, haproxy ${vers.haproxy}, kha-drill ${vers.khaDrill} (${vers.commit})`,
    );

    // the poll transport, on the quiet cluster before any drill
    let transport: TransportComparison | undefined;
    if (opts.transportCalls > 0) {
      const endpoint = lab.etcdEndpoints[0]!;
      log(
        `transport: ${opts.transportCalls} status calls × 4 rounds each, JSON gateway vs etcd3 gRPC, to ${endpoint}`,
      );
      transport = await compareTransports(endpoint, labEtcdTls(lab), {
        calls: opts.transportCalls,
        rounds: 4,
      });
      log(transportTable(transport));
    }

    // the poll period that times the election: the raft watcher's faultInterval, defaults applied
    const killRaft = Drill.parse(parseDocument(readFileSync(drillFile('etcd-leader-kill'), 'utf8')).toJS())
      .watchers.raft;
    const steadyPollMs = durationMs(killRaft?.interval ?? '100ms');
    const defaultPollMs = Math.min(steadyPollMs, durationMs(killRaft?.faultInterval ?? '100ms'));

    /**
     * After a run: bring the lab's units back to active, and after a run that could not restore
     * (exit ≥ 3), `kha-drill recover`: its journal stays pending, and every later run refuses to
     * start until it is recovered.
     */
    const repair = async (label: string, code: number): Promise<string[]> => {
      const healed = await heal(lab);
      if (healed.length > 0) log(`${label} started again after the run: ${healed.join(', ')}`);
      if (code >= 3) {
        const r = await cli(['recover', '-i', lab.inventory], env);
        const last = (r.stdout + r.stderr).trim().split('\n').slice(-2).join(' | ');
        log(`${label} kha-drill recover: exit ${r.code}${last ? `: ${last}` : ''}`);
      }
      return healed;
    };

    const iterate = async (spec: Spec, iteration: number, total: number): Promise<IterationRecord> => {
      for (let attempt = 1; ; attempt++) {
        throwIfInterrupted();
        const out = mkdtempSync(path.join(tmp, `${spec.drill}-`));
        const observer = new RunbookObserver({
          etcdEndpoints: lab.etcdEndpoints,
          kubeconfig: lab.kubeconfig,
          lease: { namespace: spec.lease.split('/')[0]!, name: spec.lease.split('/')[1]! },
          periodMs: OBSERVER_PERIOD_MS,
          env: lab.env,
          etcdctl: lab.etcdctl,
          kubectl: lab.kubectl,
        }).start();
        // the observer needs a look at the cluster before the fault, as the operator would
        await sleep(1200);
        const h = await harness(
          ['run', spec.file, '-i', lab.inventory, '--out', out, '--format', 'json', '--quiet'],
          env,
          300_000,
        );
        await observer.stop();
        throwIfInterrupted();
        const runDir = runDirIn(out);
        const reportText = runDir ? readOr(path.join(runDir, 'report.json')) : '';
        const label = `[${spec.drill}${spec.pollMs !== defaultPollMs ? ` @${spec.pollMs} ms` : ''} ${iteration}/${total}]`;
        if ((h.code === 3 || !reportText) && attempt < 3) {
          await repair(label, h.code);
          log(
            `${label} exit ${h.code} (${h.code === 3 ? 'not steady' : 'no report'}), retrying: ${(h.stdout + h.stderr).trim().split('\n').slice(-3).join(' | ')}`,
          );
          await sleep(3000);
          continue;
        }
        const report = reportText ? (JSON.parse(reportText) as RunResult) : null;
        const events = runDir ? parseTimeline(readOr(path.join(runDir, 'timeline.ndjson'))) : [];
        const truth = await groundTruth(lab, h.spawnMs - TRUTH_LOOKBACK_MS);
        const a = analyzeRun({
          drill: spec.drill,
          measure: spec.measure,
          pollMs: spec.pollMs,
          exitCode: h.code,
          metrics: report?.metrics ?? [],
          events,
          ...truth,
          lease: spec.lease,
          unit: spec.unit,
          fault: spec.fault,
          observer: { etcd: observer.etcd, lease: observer.lease },
          proc: h.samples,
          ticksPerS: ticks,
          spawnMs: h.spawnMs,
        });
        if (!report)
          a.problems.push(`no report.json (exit ${h.code}): ${(h.stdout + h.stderr).trim().slice(-300)}`);
        log(`${label} exit ${h.code}: ${describe(a)}`);
        if (h.code >= 3)
          a.problems.push(
            `exit ${h.code}: ${(h.stdout + h.stderr).trim().split('\n').slice(-4).join(' | ')}`,
          );
        const healed = await repair(label, h.code);
        // let the restored component settle before the next drill's steady-state check
        await sleep(healed.length > 0 ? 3000 : 1000);
        return { ...a, iteration, attempts: attempt, summary: report?.summary ?? '', healed };
      }
    };

    const runs: IterationRecord[] = [];
    const specs: Spec[] = DRILLS.filter((d) => opts.drills.length === 0 || opts.drills.includes(d.drill)).map(
      (d) => ({ ...d, file: drillFile(d.drill), pollMs: defaultPollMs }),
    );
    for (const spec of specs)
      for (let i = 1; i <= opts.iterations; i++) runs.push(await iterate(spec, i, opts.iterations));

    // poll sweep: copies of etcd-leader-kill with watchers.raft.faultInterval changed (and the
    // steady interval with it when slower); the default period reuses the accuracy runs above
    const sweepRuns: IterationRecord[] = runs.filter((r) => r.drill === 'etcd-leader-kill');
    mkdirSync(path.join(tmp, 'drills'), { recursive: true });
    for (const pollMs of opts.sweep) {
      if (pollMs === defaultPollMs && sweepRuns.length > 0) continue;
      const doc = parseDocument(readFileSync(drillFile('etcd-leader-kill'), 'utf8'));
      doc.setIn(['watchers', 'raft', 'faultInterval'], `${pollMs}ms`);
      if (pollMs > steadyPollMs) doc.setIn(['watchers', 'raft', 'interval'], `${pollMs}ms`);
      const file = path.join(tmp, 'drills', `etcd-leader-kill-poll-${pollMs}ms.yaml`);
      writeFileSync(file, doc.toString());
      const n = opts.sweepIterations;
      for (let i = 1; i <= n; i++) sweepRuns.push(await iterate({ ...DRILLS[0]!, file, pollMs }, i, n));
    }

    // memory: one process, the same drill repeated; RSS as each drill ended
    let soak: { drill: string; endRssKb: number[]; exitCode: number; outcomes: string[] } | undefined;
    const soakN = opts.soak;
    if (soakN > 0) {
      throwIfInterrupted();
      await repair('[memory]', 3);
      log(`memory: one process running ${SOAK_DRILL} ${soakN}×`);
      const out = mkdtempSync(path.join(tmp, 'soak-'));
      const h = await harness(
        ['run', ...Array<string>(soakN).fill(SOAK_DRILL), '-i', lab.inventory, '--out', out].concat([
          '--format',
          'json',
          '--quiet',
        ]),
        env,
        60_000 * soakN + 120_000,
      );
      throwIfInterrupted();
      const dirs = existsSync(out) ? readdirSync(out).sort() : [];
      const endRssKb: number[] = [];
      const outcomes: string[] = [];
      for (const d of dirs) {
        const r = readOr(path.join(out, d, 'report.json'));
        if (!r) continue;
        const rep = JSON.parse(r) as RunResult;
        outcomes.push(rep.outcome);
        const ended = Date.parse(rep.endedAt);
        const s = h.samples.filter((x) => x.at <= ended).pop();
        if (s) endRssKb.push(s.rssKb);
      }
      soak = { drill: SOAK_DRILL, endRssKb, exitCode: h.code, outcomes };
      log(
        `memory: exit ${h.code}, ${outcomes.length} drills (${outcomes.join(', ')}), RSS ${endRssKb.map((k) => (k / 1024).toFixed(1)).join(', ')} MB`,
      );
    }

    const { table, file, durationS } = writeResults({
      opts,
      startedAt,
      machine: mach,
      versions: vers,
      lab,
      defaultPollMs,
      observerPeriodMs: OBSERVER_PERIOD_MS,
      runs,
      sweepRuns,
      soak,
      transport,
    });
    process.stdout.write(`\n${table}\n\n`);
    process.stdout.write(`results: ${file} (and latest.json); ${durationS} s\n`);
    return 0;
  } finally {
    if (labStarted) {
      log(`lab down: ${opts.dir}`);
      const down = await labDown(opts.dir, !opts.keepLab, env);
      if (down.code !== 0) log(`lab down failed (exit ${down.code}): ${down.stdout}${down.stderr}`);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One line per run: each metric against its truth, the runbook's error, when the fault went in. */
function describe(a: RunAnalysis): string {
  const parts = a.checks.map((c) => {
    const o = a.observer[c.metric];
    const rb =
      o && o.errorMs !== null ? `; runbook ${o.errorMs >= 0 ? '+' : ''}${o.errorMs.toFixed(0)} ms` : '';
    return c.errorMs === null
      ? `${c.metric} n/a`
      : `${c.metric} ${c.measuredS!.toFixed(3)} s (truth ${c.truthS!.toFixed(3)}, err ${c.errorMs >= 0 ? '+' : ''}${fmtMs(c.errorMs)} ms${rb})`;
  });
  const cost = a.observeCost ? `, CPU ${a.observeCost.cpuPct.toFixed(1)} %` : '';
  return `${parts.join(', ')}; inject after ${a.injectAfterSpawnS?.toFixed(2) ?? 'n/a'} s${cost}${a.problems.length ? ` — ${a.problems.join('; ')}` : ''}`;
}

handleSignals();
main().then(
  (code) => {
    process.exitCode = isInterrupted() ? 130 : code;
  },
  (err: unknown) => {
    if (err instanceof Interrupted) {
      log('bench: interrupted; the lab is down');
      process.exitCode = 130;
    } else {
      log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    }
  },
);
