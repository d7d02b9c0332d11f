/** `npm run bench` options and help (pure: argv and environment in, options out). */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LabSpec } from './lab.js';

export const HELP = `npm run bench -- [options]

Runs on the laptop side of the lab (npm run bench wraps it in kha-drill lab exec). Starts its own
real lab (3 systemd-nspawn masters with upstream etcd, kube-apiserver, kube-controller-manager,
kube-scheduler; HAProxy), runs etcd-leader-kill, etcd-leader-partition, scheduler-crash,
scheduler-failover and controller-manager-failover through the real CLI, and compares each
duration end to end with the ground truth in the masters' journals: the outcome the components
log (etcd's zap "elected leader", the klog Lease lines) minus the fault's true moment (systemd's
record of the unit's process leaving). Also times a 1 s runbook observer against the same truth,
measures the harness's cost, compares the etcd poll transports, sweeps the raft poll period, then
takes the lab down.
Writes bench/results/<UTC>.json and bench/results/latest.json.

  --drills <a,b,…>        only these of the judged drills (default all: etcd-leader-kill,
                          etcd-leader-partition, scheduler-crash, scheduler-failover,
                          controller-manager-failover)
  --iterations <n>        runs per drill (default 10; env KHA_BENCH_ITERATIONS)
  --quick                 3 runs per drill, 3 per sweep point, soak of 3
  --sweep <ms,…>          raft poll periods after inject to sweep (default 20,50,100,250; "" to skip)
  --sweep-iterations <n>  runs per sweep point (default: --iterations)
  --soak <n>              drills run in one process for the memory check (default 50, 3 with --quick; 0 skips)
  --transport-calls <n>   etcd status calls per round in the transport comparison (JSON gateway vs
                          etcd3 gRPC, 4 rounds; default 3000, 500 with --quick; 0 skips)
  --name <name>           lab name (default bench; env KHA_BENCH_NAME)
  --net <k>               lab subnet 198.18.<k>.0/24 (default 31; env KHA_BENCH_NET)
  --dir <dir>             lab dir (default /tmp/kha-bench-lab-<name>; env KHA_BENCH_DIR); a lab
                          left there by a killed bench is taken down first
  --kubernetes <v>        lab Kubernetes version (lab default unless given)
  --lease-duration <d>    (default 4s)  --renew-deadline <d> (default 3s)  --retry-period <d> (default 1s)
  --results <dir>         where results go (default bench/results)
  --keep-lab              keep the lab dir (journals are gone with the hosts; lab.json, haproxy.log stay)
`;

/** The lab's part (LabSpec) and the bench's own. */
export interface Options extends LabSpec {
  iterations: number;
  /** empty: every judged drill */
  drills: string[];
  quick: boolean;
  sweep: number[];
  sweepIterations: number;
  soak: number;
  transportCalls: number;
  results: string;
  keepLab: boolean;
}

/** null: print the help */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, root: string): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      iterations: { type: 'string' },
      drills: { type: 'string' },
      quick: { type: 'boolean', default: false },
      sweep: { type: 'string' },
      'sweep-iterations': { type: 'string' },
      soak: { type: 'string' },
      'transport-calls': { type: 'string' },
      name: { type: 'string' },
      net: { type: 'string' },
      dir: { type: 'string' },
      kubernetes: { type: 'string' },
      'lease-duration': { type: 'string' },
      'renew-deadline': { type: 'string' },
      'retry-period': { type: 'string' },
      results: { type: 'string' },
      'keep-lab': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
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
  const name = values.name ?? env.KHA_BENCH_NAME ?? 'bench';
  const net = int(values.net, '--net') ?? int(env.KHA_BENCH_NET, 'KHA_BENCH_NET') ?? 31;
  return {
    iterations,
    drills: drillList(values.drills ?? ''),
    quick,
    sweep,
    sweepIterations: int(values['sweep-iterations'], '--sweep-iterations') ?? iterations,
    // the target is "memory flat over 50 iterations"; fewer drills are mostly warm-up
    soak: int(values.soak, '--soak') ?? int(env.KHA_BENCH_SOAK, 'KHA_BENCH_SOAK') ?? (quick ? 3 : 50),
    transportCalls: int(values['transport-calls'], '--transport-calls') ?? (quick ? 500 : 3000),
    name,
    net,
    dir: path.resolve(values.dir ?? env.KHA_BENCH_DIR ?? path.join(os.tmpdir(), `kha-bench-lab-${name}`)),
    kubernetes: values.kubernetes ?? null,
    leaseDuration: values['lease-duration'] ?? '4s',
    renewDeadline: values['renew-deadline'] ?? '3s',
    retryPeriod: values['retry-period'] ?? '1s',
    results: path.resolve(values.results ?? path.join(root, 'bench', 'results')),
    keepLab: values['keep-lab'] ?? false,
  };
}

/** "100ms", "1s", "1.5s" → ms */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

export const JUDGED_DRILLS = [
  'etcd-leader-kill',
  'etcd-leader-partition',
  'scheduler-crash',
  'scheduler-failover',
  'controller-manager-failover',
];

function drillList(text: string): string[] {
  const out = text
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  for (const d of out)
    if (!JUDGED_DRILLS.includes(d))
      throw new Error(`--drills: ${d} is not one of ${JUDGED_DRILLS.join(', ')}`);
  return out;
}
