/**
 * The leader-election timings as the cluster runs them, not only as the inventory says: each
 * master's kube-scheduler and kube-controller-manager flags (process arguments, else the systemd
 * unit's ExecStart, else the static-pod manifest; one read-only SSH command per master), and
 * each Lease's `leaseDurationSeconds`. Compared with the inventory per Lease: a difference is a
 * warning (plan, preflight), and the SLO bounds use the observed values.
 */
import type { Inventory, Master } from '../config/schema.js';
import { leaseTimingsOf } from '../config/inventory.js';
import { errorMessage } from '../errors.js';
import {
  argsFromCmdline,
  argsFromExecStart,
  argsFromManifest,
  FlagError,
  parseLeaderElectionArgs,
  type LeaderElectionComponent,
  type LeaderElectionFlags,
} from '../kube/leader-election-flags.js';
import type { SloTimings } from '../slo/evaluate.js';
import { shellQuote } from '../ssh/quote.js';
import { formatNumber } from '../text/numbers.js';
import type { ClusterView, Remote } from './types.js';

export const LEADER_ELECTION_COMPONENTS: LeaderElectionComponent[] = [
  'kube-scheduler',
  'kube-controller-manager',
];

export type FlagSource = 'process' | 'unit' | 'manifest';

/** What one master showed for one component. */
export type ComponentRead =
  | { master: string; component: LeaderElectionComponent; source: FlagSource; flags: LeaderElectionFlags }
  | { master: string; component: LeaderElectionComponent; source: FlagSource | null; error: string };

/** The timings of one Lease: observed where the cluster showed them, else the inventory's. */
export interface LeaseTimingsSeen {
  lease: string;
  timings: SloTimings;
  /** per timing: where the value came from */
  from: Record<keyof SloTimings, string>;
}

export interface ObservedTimings {
  leases: LeaseTimingsSeen[];
  warnings: string[];
}

const MARK = '#kha-le';

/** One command printing, per component, where its flags were found and that text. Read-only. */
export function readFlagsCommand(inventory: Inventory): string {
  const s = inventory.services;
  return LEADER_ELECTION_COMPONENTS.map((c) => {
    const unit = shellQuote(s.units[c]);
    const manifest = shellQuote(`${s.manifestDir}/${s.units[c]}.yaml`);
    // `[k]ube-…`: the pattern does not match this shell's own command line
    const pattern = shellQuote(`(^|/)[${c[0]}]${c.slice(1)}( |$)`);
    return [
      `echo '${MARK} ${c}'`,
      `pid=$(systemctl show -p MainPID --value ${unit} 2>/dev/null)`,
      `case "$pid" in ''|0) pid=$(pgrep -o -f ${pattern} 2>/dev/null);; esac`,
      `exec_start=$(systemctl show -p ExecStart --value ${unit} 2>/dev/null)`,
      `if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ]; then echo '${MARK}-src process'; tr '\\000' '\\n' < "/proc/$pid/cmdline"; echo`,
      `elif [ -n "$exec_start" ]; then echo '${MARK}-src unit'; printf '%s\\n' "$exec_start"`,
      `elif [ -r ${manifest} ]; then echo '${MARK}-src manifest'; cat ${manifest}`,
      `else echo '${MARK}-src none'; fi`,
    ].join('; ');
  }).join('; ');
}

/** Parses what `readFlagsCommand` printed on one master. */
export function parseFlagsOutput(master: string, stdout: string): ComponentRead[] {
  const out: ComponentRead[] = [];
  const sections = stdout.split(new RegExp(`^${MARK} `, 'm')).slice(1);
  for (const section of sections) {
    const nl = section.indexOf('\n');
    const component = section.slice(0, nl < 0 ? undefined : nl).trim() as LeaderElectionComponent;
    if (!LEADER_ELECTION_COMPONENTS.includes(component)) continue;
    const rest = nl < 0 ? '' : section.slice(nl + 1);
    const src = new RegExp(`^${MARK}-src (\\w+)\\n?`).exec(rest);
    const source = (src?.[1] ?? 'none') as FlagSource | 'none';
    if (source === 'none') {
      out.push({ master, component, source: null, error: 'no process, unit or manifest found' });
      continue;
    }
    const text = rest.slice(src![0].length);
    try {
      const args =
        source === 'process'
          ? argsFromCmdline(text)
          : source === 'unit'
            ? argsFromExecStart(text)
            : argsFromManifest(text);
      if (args.length === 0) throw new FlagError(`the ${source} showed no command line`);
      out.push({ master, component, source, flags: parseLeaderElectionArgs(args, component) });
    } catch (err) {
      out.push({ master, component, source, error: errorMessage(err) });
    }
  }
  return out;
}

const secs = (n: number) => `${formatNumber(n)}s`;
const KEYS = ['leaseDuration', 'renewDeadline', 'retryPeriod'] as const;
const FLAG = {
  leaseDuration: '--leader-elect-lease-duration',
  renewDeadline: '--leader-elect-renew-deadline',
  retryPeriod: '--leader-elect-retry-period',
} as const;

/**
 * Per Lease, the timings to judge by, and what differs from the inventory. Pure.
 * - leaseDuration: the Lease's own `leaseDurationSeconds` while held (what the standbys wait
 *   for), else the largest flag value among the masters;
 * - renewDeadline, retryPeriod: the largest flag value among the masters (a bound must hold
 *   for the slowest standby);
 * - nothing read for a timing: the inventory's value (Kubernetes' defaults unless it sets them),
 *   with a warning.
 */
export function judgeTimings(
  inventory: Pick<Inventory, 'kubernetes'>,
  leases: readonly string[],
  reads: readonly ComponentRead[],
  leaseDurationSeconds: ReadonlyMap<string, number | null>,
): ObservedTimings {
  const warnings: string[] = [];
  for (const r of reads) {
    if ('error' in r) warnings.push(`could not read the ${r.component} flags on ${r.master}: ${r.error}`);
    else if (!r.flags.leaderElect)
      warnings.push(
        `${r.component} on ${r.master} runs with --leader-elect=false: it takes no part in leader election`,
      );
  }
  const seen = leases.map((lease): LeaseTimingsSeen => {
    const declared = leaseTimingsOf(inventory, lease);
    const ok = reads.filter(
      (r): r is Extract<ComponentRead, { flags: LeaderElectionFlags }> =>
        'flags' in r && r.flags.leaderElect && r.flags.lease === lease,
    );
    const timings = { ...declared };
    const from = {} as LeaseTimingsSeen['from'];
    for (const key of KEYS) {
      const values = ok.map((r) => r.flags[key]);
      const distinct = [...new Set(values)];
      if (distinct.length > 1) {
        const per = ok.map((r) => `${r.master} ${secs(r.flags[key])}`).join(', ');
        warnings.push(`${lease}: the masters disagree on ${FLAG[key]} (${per}); judging by the largest`);
      }
      const fromLease = key === 'leaseDuration' ? (leaseDurationSeconds.get(lease) ?? null) : null;
      if (fromLease !== null) {
        timings[key] = fromLease;
        from[key] = 'Lease spec.leaseDurationSeconds';
        if (values.length > 0 && !values.includes(fromLease))
          warnings.push(
            `${lease}: leaseDurationSeconds is ${secs(fromLease)} but ${FLAG[key]} is ${distinct.map(secs).join('/')} on the masters`,
          );
      } else if (values.length > 0) {
        timings[key] = Math.max(...values);
        const where = ok.map((r) => `${r.master} (${r.source})`).join(', ');
        from[key] =
          `${FLAG[key]} on ${where}${ok.every((r) => r.flags.given.includes(key)) ? '' : ' (default where unset)'}`;
      } else {
        from[key] = 'the inventory (nothing read from the cluster)';
        warnings.push(
          `${lease}: could not read ${key} from the cluster; using the inventory's ${secs(declared[key])} (Kubernetes' default 15s/10s/2s unless the inventory sets it)`,
        );
      }
      if (timings[key] !== declared[key]) {
        warnings.push(
          `${lease}: the cluster's ${key} is ${secs(timings[key])} (${from[key]}) but the inventory says ${secs(declared[key])}; SLO bounds use ${secs(timings[key])}`,
        );
      }
    }
    return { lease, timings, from };
  });
  return { leases: seen, warnings };
}

/** Reads the flags on every master (concurrently) and each Lease, then judges. */
export async function observeTimings(
  inventory: Inventory,
  remote: Remote,
  view: Pick<ClusterView, 'lease'>,
  leases: readonly string[],
): Promise<ObservedTimings> {
  const command = readFlagsCommand(inventory);
  const perMaster = await Promise.all(
    inventory.masters.map(async (m: Master): Promise<ComponentRead[]> => {
      try {
        const r = await remote.exec(m, command, { timeoutS: 15 });
        return parseFlagsOutput(m.name, r.stdout);
      } catch (err) {
        return LEADER_ELECTION_COMPONENTS.map((component) => ({
          master: m.name,
          component,
          source: null,
          error: errorMessage(err).split('\n')[0]!,
        }));
      }
    }),
  );
  const durations = new Map<string, number | null>();
  for (const lease of leases) {
    try {
      const l = await view.lease(lease);
      // a released Lease says 1 s: not the component's setting
      durations.set(lease, l?.holder ? l.leaseDurationSeconds : null);
    } catch {
      durations.set(lease, null);
    }
  }
  return judgeTimings(inventory, leases, perMaster.flat(), durations);
}

/** The Leases a drill looks at: watched, waited for, checked. */
export function drillLeases(drill: {
  watchers: { lease?: { leases: string[] } | undefined };
  observe: { until?: unknown };
  steadyState: readonly unknown[];
}): string[] {
  const refs = new Set<string>(drill.watchers.lease?.leases ?? []);
  const add = (c: unknown) => {
    if (c && typeof c === 'object' && 'lease' in c && typeof c.lease === 'string') refs.add(c.lease);
  };
  add(drill.observe.until);
  drill.steadyState.forEach(add);
  return [...refs];
}

/** One line per Lease for plan and the report: `kube-system/kube-scheduler: 4s / 3s / 1s`. */
export function describeTimings(seen: readonly LeaseTimingsSeen[]): string[] {
  return seen.map(
    (s) =>
      `${s.lease}: leaseDuration ${secs(s.timings.leaseDuration)} (${s.from.leaseDuration}), renewDeadline ${secs(s.timings.renewDeadline)}, retryPeriod ${secs(s.timings.retryPeriod)} (${s.from.retryPeriod})`,
  );
}
