/**
 * `npm run bench`: how exact are kha-drill's timings, and what does the harness cost?
 *
 * Starts its own lab, runs the real CLI (`kha-drill run <drill> --format json`) N times per drill
 * as a subprocess, and compares its metrics with the lab's ground truth (etcd zap logs, the
 * candidates' truth logs) and with a one-second runbook observer polling etcdctl and kubectl
 * meanwhile. Samples the harness's CPU and RSS from /proc, counts the watchers' requests from
 * the timeline, sweeps the raft poll period, and runs one process through repeated drills for
 * memory. Always `lab down` at the end, on failure and on Ctrl-C too. See `--help`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { Drill } from '../src/config/schema.js';
import type { RunResult } from '../src/report/result.js';
import { analyzeRun, type Measure, type RunAnalysis } from './analyze.js';
import { machine, ticksPerSecond, versions } from './machine.js';
import { RunbookObserver } from './observer.js';
import { ProcSampler, type ProcSample } from './procstat.js';
import { accuracyRows, memoryFigures, overheadFigures, sweepRows, targets } from './summary.js';
import { renderAll, fmtMs } from './table.js';
import { parseTimeline } from './timeline.js';
import { parseElections, parseTruthLog, type Elected, type TruthLine } from './truth.js';

/** dist-bench/bench/run.js → the repository root */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'bin', 'kha-drill.js');
const LEASE = 'kube-system/kube-scheduler';
const OBSERVER_PERIOD_MS = 1000;
/**
 * The drill one process repeats for the memory check: graceful, so every run restores cleanly
 * and the process goes on to the next (it stops at the first exit ≥ 3).
 */
const SOAK_DRILL = 'scheduler-failover';

const HELP = `npm run bench -- [options]

Starts its own lab, runs etcd-leader-kill, scheduler-crash and scheduler-failover through the real
CLI, compares the timings with the lab's ground truth and a 1 s runbook observer, measures the
harness's cost, sweeps the raft poll period, then stops the lab. Writes bench/results/<UTC>.json
and bench/results/latest.json.

  --iterations <n>        runs per drill (default 10; env KHA_BENCH_ITERATIONS)
  --quick                 3 runs per drill, 3 per sweep point, soak of 3
  --sweep <ms,…>          raft poll periods after inject to sweep (default 20,50,100,250; "" to skip)
  --sweep-iterations <n>  runs per sweep point (default: --iterations)
  --soak <n>              drills run in one process for the memory check (default 50, 3 with --quick; 0 skips)
  --first-ip <ip>         lab master-1 address (default 127.0.10.81; env KHA_BENCH_FIRST_IP)
  --lb-ip <ip>            lab load balancer (default 127.0.10.181; env KHA_BENCH_LB_IP)
  --dir <dir>             lab dir (default a new /tmp/kha-bench-*; env KHA_BENCH_DIR)
  --lease-duration <d>    (default 4s)  --renew-deadline <d> (default 3s)  --retry-period <d> (default 1s)
  --results <dir>         where results go (default bench/results)
  --keep-lab              leave the lab dir (logs) in place after lab down
`;

interface Options {
  iterations: number;
  quick: boolean;
  sweep: number[];
  sweepIterations: number;
  soak: number;
  firstIp: string;
  lbIp: string;
  dir: string | null;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  results: string;
  keepLab: boolean;
}

function options(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      iterations: { type: 'string' },
      quick: { type: 'boolean', default: false },
      sweep: { type: 'string' },
      'sweep-iterations': { type: 'string' },
      soak: { type: 'string' },
      'first-ip': { type: 'string' },
      'lb-ip': { type: 'string' },
      dir: { type: 'string' },
      'lease-duration': { type: 'string' },
      'renew-deadline': { type: 'string' },
      'retry-period': { type: 'string' },
      results: { type: 'string' },
      'keep-lab': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const env = process.env;
  const int = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0, got ${v}`);
    return n;
  };
  const quick = values.quick ?? false;
  const iterations =
    int(values.iterations, '--iterations') ??
    int(env.KHA_BENCH_ITERATIONS, 'KHA_BENCH_ITERATIONS') ??
    (quick ? 3 : 10);
  if (iterations < 1) throw new Error('--iterations must be at least 1');
  const sweepText = values.sweep ?? env.KHA_BENCH_SWEEP ?? '20,50,100,250';
  const sweep = sweepText
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => int(s.trim(), '--sweep')!)
    .filter((n) => n > 0);
  return {
    iterations,
    quick,
    sweep,
    sweepIterations: int(values['sweep-iterations'], '--sweep-iterations') ?? iterations,
    // the target is "memory flat over 50 iterations"; fewer drills are mostly warm-up
    soak: int(values.soak, '--soak') ?? int(env.KHA_BENCH_SOAK, 'KHA_BENCH_SOAK') ?? (quick ? 3 : 50),
    firstIp: values['first-ip'] ?? env.KHA_BENCH_FIRST_IP ?? '127.0.10.81',
    lbIp: values['lb-ip'] ?? env.KHA_BENCH_LB_IP ?? '127.0.10.181',
    dir: values.dir ?? env.KHA_BENCH_DIR ?? null,
    leaseDuration: values['lease-duration'] ?? '4s',
    renewDeadline: values['renew-deadline'] ?? '3s',
    retryPeriod: values['retry-period'] ?? '1s',
    results: path.resolve(values.results ?? path.join(ROOT, 'bench', 'results')),
    keepLab: values['keep-lab'] ?? false,
  };
}

/** "100ms", "1s", "1.5s" → ms */
function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`${s}\n`);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

class Interrupted extends Error {}

let interrupted = false;
let current: ChildProcess | undefined;

interface Harness {
  code: number;
  spawnMs: number;
  samples: ProcSample[];
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as its own process group (so a terminal's Ctrl-C reaches it once, from us, and it
 * restores) and samples its /proc meanwhile.
 */
function harness(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Harness> {
  return new Promise((resolve) => {
    const spawnMs = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    const sampler = new ProcSampler(child.pid!, 100).start();
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\nbench: timed out after ${timeoutMs} ms, interrupting\n`;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
    }, timeoutMs);
    child.on('exit', () => {
      // the last sample before the process is gone
      sampler.sample();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code: code ?? 1, spawnMs, samples: sampler.stop(), stdout, stderr });
    });
  });
}

interface Lab {
  dir: string;
  temp: boolean;
  addresses: Record<string, string>;
  sshPort: number;
  inventory: string;
  kubeconfig: string;
  etcdEndpoints: string[];
  masters: string[];
}

interface Spec {
  drill: string;
  file: string;
  measure: Measure;
  pollMs: number;
}

interface IterationRecord extends RunAnalysis {
  iteration: number;
  attempts: number;
  summary: string;
  /** lab units found stopped after the run and started again by the bench (`master/unit`) */
  healed: string[];
}

const UNITS = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'];

/**
 * Starts any lab unit that is not running, over the lab's SSH, so that one run's casualties
 * (e.g. a kube-scheduler that lost its Lease and exited, which systemd would restart on a real
 * master) do not spoil the next run. Returns what it started.
 */
async function heal(lab: Lab): Promise<string[]> {
  const script = UNITS.map(
    (u) => `systemctl is-active ${u} >/dev/null 2>&1 || { systemctl start ${u} >/dev/null 2>&1; echo ${u}; }`,
  ).join('; ');
  const results = await Promise.all(
    Object.entries(lab.addresses).map(
      ([name, address]) =>
        new Promise<string[]>((resolve) => {
          const args = ['-i', path.join(lab.dir, 'ssh', 'id_ed25519')];
          args.push('-o', `UserKnownHostsFile=${path.join(lab.dir, 'ssh', 'known_hosts')}`);
          args.push('-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5');
          args.push('-p', String(lab.sshPort), `root@${address}`, script);
          execFile('ssh', args, { timeout: 30_000 }, (_err, stdout) =>
            resolve(
              stdout
                .split('\n')
                .map((l) => l.trim())
                .filter(Boolean)
                .map((u) => `${name}/${u}`),
            ),
          );
        }),
    ),
  );
  return results.flat();
}

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

function groundTruth(lab: Lab): { elections: Elected[]; truthLines: TruthLine[] } {
  const elections: Elected[] = [];
  const truthLines: TruthLine[] = [];
  for (const m of lab.masters) {
    elections.push(...parseElections(readOr(path.join(lab.dir, 'logs', m, 'etcd.log')), m));
    truthLines.push(...parseTruthLog(readOr(path.join(lab.dir, 'logs', m, 'kube-scheduler.truth.jsonl')), m));
  }
  return { elections, truthLines };
}

async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  if (!opts) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const startedAt = new Date();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kha-bench-work-'));
  const labDir = opts.dir ? path.resolve(opts.dir) : mkdtempSync(path.join(os.tmpdir(), 'kha-bench-lab-'));
  const env: NodeJS.ProcessEnv = { ...process.env, KHA_STATE_DIR: path.join(tmp, 'state'), NO_COLOR: '1' };
  delete env.KHA_INVENTORY;
  delete env.KHA_LAB_DIR;
  const mach = machine();
  const vers = versions(CLI, ROOT);
  const ticks = ticksPerSecond();
  log(
    `kha-drill bench: ${mach.cpuModel} ×${mach.cores}, ${mach.memoryGb} GB, kernel ${mach.kernel}, load ${mach.loadAvg1}`,
  );
  log(
    `versions: node ${vers.node}, etcd ${vers.etcd}, haproxy ${vers.haproxy}, kha-drill ${vers.khaDrill} (${vers.commit})`,
  );

  let labStarted = false;
  try {
    // a lab left behind by a killed bench would make `lab up` refuse
    if (opts.dir) await cli(['lab', 'down', '--dir', labDir], env);
    labStarted = true;
    const upArgs = ['lab', 'up', '--dir', labDir, '--first-ip', opts.firstIp, '--lb-ip', opts.lbIp];
    upArgs.push('--lease-duration', opts.leaseDuration, '--renew-deadline', opts.renewDeadline);
    upArgs.push('--retry-period', opts.retryPeriod);
    log(
      `lab up: ${opts.firstIp}… / LB ${opts.lbIp}, leases ${opts.leaseDuration}/${opts.renewDeadline}/${opts.retryPeriod}, dir ${labDir}`,
    );
    const up = await cli(upArgs, env);
    if (up.code !== 0) throw new Error(`lab up failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
    if (interrupted) throw new Interrupted();
    const labEnv = await cli(['lab', 'env', '--dir', labDir], env);
    const endpoints = /ETCDCTL_ENDPOINTS=(\S+)/.exec(labEnv.stdout)?.[1]?.split(',') ?? [];
    const state = JSON.parse(readFileSync(path.join(labDir, 'lab.json'), 'utf8')) as {
      masters: { name: string; address: string }[];
      options?: { sshPort?: number };
    };
    const lab: Lab = {
      dir: labDir,
      temp: !opts.dir,
      addresses: Object.fromEntries(state.masters.map((m) => [m.name, m.address])),
      sshPort: state.options?.sshPort ?? 22,
      inventory: path.join(labDir, 'inventory.yaml'),
      kubeconfig: path.join(labDir, 'kubeconfig'),
      etcdEndpoints: endpoints,
      masters: state.masters.map((m) => m.name),
    };
    const [ns, leaseName] = LEASE.split('/') as [string, string];

    // the poll period that times the election: the raft watcher's faultInterval, defaults applied
    const killRaft = Drill.parse(
      parseDocument(readFileSync(path.join(ROOT, 'drills', 'etcd-leader-kill.yaml'), 'utf8')).toJS(),
    ).watchers.raft;
    const steadyPollMs = durationMs(killRaft?.interval ?? '100ms');
    const defaultPollMs = Math.min(steadyPollMs, durationMs(killRaft?.faultInterval ?? '100ms'));

    /**
     * After a run: start lab units it left stopped, and after a run that could not restore
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
        if (interrupted) throw new Interrupted();
        const out = mkdtempSync(path.join(tmp, `${spec.drill}-`));
        const observer = new RunbookObserver({
          etcdEndpoints: lab.etcdEndpoints,
          kubeconfig: lab.kubeconfig,
          lease: { namespace: ns, name: leaseName },
          periodMs: OBSERVER_PERIOD_MS,
        }).start();
        // the observer needs a look at the cluster before the fault, as the operator would
        await sleep(1200);
        const h = await harness(
          ['run', spec.file, '-i', lab.inventory, '--out', out, '--format', 'json', '--quiet'],
          env,
          300_000,
        );
        await observer.stop();
        if (interrupted) throw new Interrupted();
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
        const truth = groundTruth(lab);
        const a = analyzeRun({
          drill: spec.drill,
          measure: spec.measure,
          pollMs: spec.pollMs,
          exitCode: h.code,
          metrics: report?.metrics ?? [],
          events,
          ...truth,
          lease: LEASE,
          observer: { etcd: observer.etcd, lease: observer.lease },
          proc: h.samples,
          ticksPerS: ticks,
          spawnMs: h.spawnMs,
        });
        if (!report)
          a.problems.push(`no report.json (exit ${h.code}): ${(h.stdout + h.stderr).trim().slice(-300)}`);
        const parts = a.checks.map((c) => {
          const o = a.observer[c.metric];
          const rb =
            o && o.errorMs !== null ? `; runbook ${o.errorMs >= 0 ? '+' : ''}${o.errorMs.toFixed(0)} ms` : '';
          return c.errorMs === null
            ? `${c.metric} n/a`
            : `${c.metric} ${c.measuredS!.toFixed(3)} s (truth ${c.truthS!.toFixed(3)}, err ${c.errorMs >= 0 ? '+' : ''}${fmtMs(c.errorMs)} ms${rb})`;
        });
        const cost = a.observeCost ? `, CPU ${a.observeCost.cpuPct.toFixed(1)} %` : '';
        log(
          `${label} exit ${h.code}: ${parts.join(', ')}; inject after ${a.injectAfterSpawnS?.toFixed(2) ?? 'n/a'} s${cost}${a.problems.length ? ` — ${a.problems.join('; ')}` : ''}`,
        );
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
    const specs: Spec[] = [
      {
        drill: 'etcd-leader-kill',
        file: path.join(ROOT, 'drills', 'etcd-leader-kill.yaml'),
        measure: 'raft',
        pollMs: defaultPollMs,
      },
      {
        drill: 'scheduler-crash',
        file: path.join(ROOT, 'drills', 'scheduler-crash.yaml'),
        measure: 'lease',
        pollMs: defaultPollMs,
      },
      {
        drill: 'scheduler-failover',
        file: path.join(ROOT, 'drills', 'scheduler-failover.yaml'),
        measure: 'lease',
        pollMs: defaultPollMs,
      },
    ];
    for (const spec of specs)
      for (let i = 1; i <= opts.iterations; i++) runs.push(await iterate(spec, i, opts.iterations));

    // poll sweep: copies of etcd-leader-kill with watchers.raft.faultInterval changed (and the
    // steady interval with it when slower); the default period reuses the accuracy runs above
    const sweepRuns: IterationRecord[] = runs.filter((r) => r.drill === 'etcd-leader-kill');
    mkdirSync(path.join(tmp, 'drills'), { recursive: true });
    for (const pollMs of opts.sweep) {
      if (pollMs === defaultPollMs && sweepRuns.length > 0) continue;
      const doc = parseDocument(readFileSync(path.join(ROOT, 'drills', 'etcd-leader-kill.yaml'), 'utf8'));
      doc.setIn(['watchers', 'raft', 'faultInterval'], `${pollMs}ms`);
      if (pollMs > steadyPollMs) doc.setIn(['watchers', 'raft', 'interval'], `${pollMs}ms`);
      const file = path.join(tmp, 'drills', `etcd-leader-kill-poll-${pollMs}ms.yaml`);
      writeFileSync(file, doc.toString());
      const n = opts.sweepIterations;
      for (let i = 1; i <= n; i++)
        sweepRuns.push(await iterate({ drill: 'etcd-leader-kill', file, measure: 'raft', pollMs }, i, n));
    }

    // memory: one process, the same drill repeated; RSS as each drill ended
    let soak: { drill: string; endRssKb: number[]; exitCode: number; outcomes: string[] } | undefined;
    const soakN = opts.soak;
    if (soakN > 0) {
      if (interrupted) throw new Interrupted();
      await repair('[memory]', 3);
      log(`memory: one process running ${SOAK_DRILL} ${soakN}×`);
      const out = mkdtempSync(path.join(tmp, 'soak-'));
      const h = await harness(
        [
          'run',
          ...Array<string>(soakN).fill(SOAK_DRILL),
          '-i',
          lab.inventory,
          '--out',
          out,
          '--format',
          'json',
          '--quiet',
        ],
        env,
        60_000 * soakN + 120_000,
      );
      if (interrupted) throw new Interrupted();
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

    const outcomes = [...new Set([...runs, ...sweepRuns].map((r) => `${r.drill}@${r.pollMs}`))].map((key) => {
      const mine = [...new Set([...runs, ...sweepRuns])].filter((r) => `${r.drill}@${r.pollMs}` === key);
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
    for (const o of outcomes)
      log(
        `${o.drill} @${o.pollMs} ms: ${o.runs} runs, exit codes ${Object.entries(o.exitCodes)
          .map(([c, n]) => `${c}×${n}`)
          .join(
            ', ',
          )}; retried ${o.retried}; units started again after runs: ${o.healed.length ? o.healed.join(', ') : 'none'}`,
      );
    const accuracy = accuracyRows(runs);
    const overhead = overheadFigures(runs);
    const sweep = sweepRows(sweepRuns);
    const memory = memoryFigures(runs, soak);
    const tgs = targets(accuracy, overhead, memory);
    const endedAt = new Date();
    const result = {
      schema: 'kha-drill-bench/1',
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationS: Math.round((endedAt.getTime() - startedAt.getTime()) / 100) / 10,
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
        ' ',
      ),
      quick: opts.quick,
      iterations: opts.iterations,
      machine: mach,
      versions: vers,
      lab: {
        masters: lab.masters.length,
        leaseDuration: opts.leaseDuration,
        renewDeadline: opts.renewDeadline,
        retryPeriod: opts.retryPeriod,
        firstIp: opts.firstIp,
        lbIp: opts.lbIp,
      },
      defaultPollMs,
      observerPeriodMs: OBSERVER_PERIOD_MS,
      groundTruth: {
        raft: 'etcd zap log: first "elected leader … at term N" line above the pre-fault term, across members (ms resolution)',
        lease:
          "candidates' <unit>.truth.jsonl: the new holder's \"acquired\" line (µs resolution); leaderless = that − the old holder's last renewed/released line",
        observer:
          'etcdctl endpoint status -w json and kubectl get lease -o json once a second; stamped at the start of the poll that first showed the change',
      },
      accuracy,
      overhead,
      sweep,
      memory,
      targets: tgs,
      outcomes,
      soak,
      runs: runs.map(compact),
      sweepRuns: sweepRuns.filter((r) => r.pollMs !== defaultPollMs).map(compact),
    };
    const table = renderAll({ accuracy, overhead, sweep, memory, targets: tgs, defaultPollMs });
    process.stdout.write(`\n${table}\n\n`);
    mkdirSync(opts.results, { recursive: true });
    const stamp = startedAt
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const json = `${JSON.stringify(result, null, 2)}\n`;
    for (const name of [`${stamp}.json`, 'latest.json']) {
      const file = path.join(opts.results, name);
      writeFileSync(`${file}.tmp`, json);
      renameSync(`${file}.tmp`, file);
    }
    process.stdout.write(
      `results: ${path.join(opts.results, `${stamp}.json`)} (and latest.json); ${result.durationS} s\n`,
    );
    return 0;
  } finally {
    if (labStarted) {
      log(`lab down: ${labDir}`);
      const purge = !opts.dir && !opts.keepLab;
      const down = await cli(['lab', 'down', '--dir', labDir, ...(purge ? ['--purge'] : [])], env);
      if (down.code !== 0) log(`lab down failed (exit ${down.code}): ${down.stdout}${down.stderr}`);
    } else if (!opts.dir) rmSync(labDir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
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

const onSignal = (sig: NodeJS.Signals) => {
  if (interrupted) {
    log(`bench: ${sig} again; still restoring and stopping the lab`);
    return;
  }
  interrupted = true;
  log(`bench: ${sig}: stopping the current drill (it restores), then lab down`);
  if (current?.pid) {
    try {
      process.kill(current.pid, 'SIGINT');
    } catch {
      // already gone
    }
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);

main().then(
  (code) => {
    process.exitCode = interrupted ? 130 : code;
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
