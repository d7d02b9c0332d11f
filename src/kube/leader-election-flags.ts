/**
 * The leader-election flags of kube-scheduler and kube-controller-manager, read from what a
 * master shows: the process's arguments (`/proc/<pid>/cmdline`), a systemd unit's ExecStart
 * (`systemctl show -p ExecStart --value`, or the unit file) or a kubeadm static-pod manifest.
 * Pure: text in, flags out. Flags that are absent take the components' defaults (component-base:
 * --leader-elect=true, 15s / 10s / 2s, lock `leases`, namespace kube-system).
 */
import { parse as parseYaml } from 'yaml';

export interface LeaderElectionFlags {
  /** --leader-elect (a bare flag is true) */
  leaderElect: boolean;
  /** seconds */
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  /** --leader-elect-resource-namespace / -name: the Lease the component uses */
  lease: string;
  /** which of the timing flags were given (the rest are the defaults) */
  given: ('leaseDuration' | 'renewDeadline' | 'retryPeriod')[];
}

export type LeaderElectionComponent = 'kube-scheduler' | 'kube-controller-manager';

export const COMPONENT_DEFAULTS = { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 } as const;

const GO_UNIT_S: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Go's time.ParseDuration (`15s`, `1m30s`, `500ms`, `2.5s`, `0`), in seconds; null if malformed. */
export function parseGoDuration(text: string): number | null {
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * GO_UNIT_S[m[2]!]!;
    at = re.lastIndex;
  }
  if (at === 0 || at !== t.length) return null;
  return Math.round(total * 1e9) / 1e9;
}

const FLAGS = {
  '--leader-elect-lease-duration': 'leaseDuration',
  '--leader-elect-renew-deadline': 'renewDeadline',
  '--leader-elect-retry-period': 'retryPeriod',
} as const;

/** Problems with a flag's value (a malformed duration) are thrown as this. */
export class FlagError extends Error {}

/**
 * The flags from an argument vector (argv[0] is skipped when it is not a flag). pflag's forms:
 * `--flag=value` and `--flag value`; a bare `--leader-elect` is true.
 */
export function parseLeaderElectionArgs(
  args: readonly string[],
  component: LeaderElectionComponent,
): LeaderElectionFlags {
  const out: LeaderElectionFlags = {
    leaderElect: true,
    ...COMPONENT_DEFAULTS,
    lease: `kube-system/${component}`,
    given: [],
  };
  let ns = 'kube-system';
  let name: string = component;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? null : arg.slice(eq + 1);
    const value = (): string => {
      if (inline !== null) return inline;
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new FlagError(`${flag} has no value`);
      i++;
      return next;
    };
    if (flag === '--leader-elect') {
      // a boolean flag takes its value only in the `=` form
      if (inline === null) out.leaderElect = true;
      else if (/^(true|1|t)$/i.test(inline)) out.leaderElect = true;
      else if (/^(false|0|f)$/i.test(inline)) out.leaderElect = false;
      else throw new FlagError(`--leader-elect=${inline} is not a boolean`);
    } else if (flag in FLAGS) {
      const key = FLAGS[flag as keyof typeof FLAGS];
      const text = value();
      const seconds = parseGoDuration(text);
      if (seconds === null) throw new FlagError(`${flag}=${text} is not a duration`);
      out[key] = seconds;
      if (!out.given.includes(key)) out.given.push(key);
    } else if (flag === '--leader-elect-resource-namespace') ns = value();
    else if (flag === '--leader-elect-resource-name') name = value();
  }
  out.lease = `${ns}/${name}`;
  return out;
}

/** `/proc/<pid>/cmdline`: NUL-separated (here as given, or with NUL turned into newlines). */
export function argsFromCmdline(text: string): string[] {
  return text.split(/[\0\n]/).filter((a) => a.length > 0);
}

/**
 * A unit's ExecStart: `systemctl show -p ExecStart --value` prints
 * `{ path=… ; argv[]=/bin/x --a=b ; ignore_errors=no ; … }`; a unit file has `ExecStart=` lines
 * with `\` continuations and optional prefixes (`-`, `@`, `+`, `!`). Words split as systemd
 * does for simple quoting (double or single quotes).
 */
export function argsFromExecStart(text: string): string[] {
  const argv = /argv\[\]=(.*?) ;/.exec(text);
  if (argv) return splitWords(argv[1]!);
  const joined = text.replace(/\\\r?\n/g, ' ');
  const lines = joined.split(/\r?\n/).filter((l) => /^\s*ExecStart\s*=/.test(l));
  // the last non-empty ExecStart wins (an empty one resets the list, as in drop-ins)
  const last = lines
    .map((l) => l.replace(/^\s*ExecStart\s*=\s*/, '').trim())
    .filter((l) => l.length > 0)
    .pop();
  if (last === undefined) return [];
  return splitWords(last.replace(/^[-@+!:]+/, ''));
}

function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** A static-pod manifest: the first container's `command` followed by its `args`. */
export function argsFromManifest(text: string): string[] {
  const doc = parseYaml(text) as unknown;
  const containers = (doc as { spec?: { containers?: unknown } } | null)?.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) return [];
  const c = containers[0] as { command?: unknown; args?: unknown };
  const strings = (x: unknown) =>
    Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];
  return [...strings(c.command), ...strings(c.args)];
}
