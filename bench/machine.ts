/** The machine and the versions the figures were taken with. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  os: string;
  /** 1-minute load average when the benchmark started (other work on the machine skews figures) */
  loadAvg1: number;
}

export interface Versions {
  node: string;
  /** the lab's, from its lab.json */
  kubernetes: string | null;
  etcd: string | null;
  etcdctl: string | null;
  haproxy: string | null;
  kubectl: string | null;
  khaDrill: string | null;
  /** git commit of the working tree, `+dirty` when it has changes */
  commit: string | null;
}

function firstLine(cmd: string, args: string[], pick?: RegExp, env?: NodeJS.ProcessEnv): string | null {
  try {
    const out = execFileSync(cmd, args, {
      env: env ?? process.env,
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (pick) {
      const m = pick.exec(out);
      return m ? m[1]! : null;
    }
    return out.split('\n')[0]!.trim() || null;
  } catch {
    return null;
  }
}

function osName(): string {
  const rel = firstLine('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']);
  return rel ?? `${os.type()} ${os.release()}`;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    os: osName(),
    loadAvg1: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

/** `lab`: the lab's versions and tools (kubectl, etcdctl and etcd from its PATH) */
export function versions(
  cli: string,
  root: string,
  lab: { kubernetes: string; etcd: string; env: NodeJS.ProcessEnv },
): Versions {
  const commit = firstLine('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  const dirty = firstLine('git', ['-C', root, 'status', '--porcelain']);
  const env = { ...process.env, ...lab.env };
  return {
    node: process.version,
    kubernetes: lab.kubernetes,
    etcd: lab.etcd,
    etcdctl: firstLine('etcdctl', ['version'], /etcdctl version: (\S+)/, env),
    haproxy: firstLine('haproxy', ['-v'], /HAProxy version (\S+)/),
    kubectl: firstLine('kubectl', ['version', '--client'], /Client Version: (\S+)/, env),
    khaDrill: firstLine(process.execPath, [cli, '--version']),
    commit: commit === null ? null : `${commit}${dirty ? '+dirty' : ''}`,
  };
}

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ). */
export function ticksPerSecond(): number {
  const v = Number(firstLine('getconf', ['CLK_TCK']));
  return Number.isFinite(v) && v > 0 ? v : 100;
}
