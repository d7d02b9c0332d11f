/**
 * A throw-away 3-member etcd (Debian `etcd` binary) for the watcher integration tests, on the
 * watchers' development addresses (127.0.10.21–23 unless KHA_TEST_LAB_FIRST_IP says otherwise).
 * Only the processes started here are ever signalled, by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface EtcdMember {
  name: string;
  ip: string;
  endpoint: string;
  log: string;
  proc: ChildProcess | null;
}

export interface DevEtcd {
  dir: string;
  members: EtcdMember[];
  /** start (or restart, keeping its data) one member */
  start(name: string, state?: 'new' | 'existing'): void;
  signal(name: string, signal: NodeJS.Signals): void;
  /** kills every member still running and waits for them to exit */
  stop(): Promise<void>;
}

export function ipsFrom(first: string, n: number): string[] {
  const parts = first.split('.').map(Number);
  return Array.from({ length: n }, (_, i) => [...parts.slice(0, 3), parts[3]! + i].join('.'));
}

export function devEtcd(dir: string, firstIp = process.env.KHA_TEST_LAB_FIRST_IP ?? '127.0.10.21'): DevEtcd {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const members: EtcdMember[] = ipsFrom(firstIp, 3).map((ip, i) => ({
    name: `master-${i + 1}`,
    ip,
    endpoint: `http://${ip}:2379`,
    log: join(dir, 'logs', `master-${i + 1}.log`),
    proc: null,
  }));
  const cluster = members.map((m) => `${m.name}=http://${m.ip}:2380`).join(',');
  const byName = (name: string) => {
    const m = members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  };
  return {
    dir,
    members,
    start(name, state = 'new') {
      const m = byName(name);
      m.proc = spawn(
        'etcd',
        [
          `--name=${m.name}`,
          `--data-dir=${join(dir, 'data', m.name)}`,
          `--listen-client-urls=http://${m.ip}:2379`,
          `--advertise-client-urls=http://${m.ip}:2379`,
          `--listen-peer-urls=http://${m.ip}:2380`,
          `--initial-advertise-peer-urls=http://${m.ip}:2380`,
          `--initial-cluster=${cluster}`,
          `--initial-cluster-state=${state}`,
          '--initial-cluster-token=kha-watchers-it',
          '--logger=zap',
          `--log-outputs=${m.log}`,
        ],
        { stdio: 'ignore' },
      );
    },
    signal(name, signal) {
      const m = byName(name);
      if (m.proc?.pid !== undefined && m.proc.exitCode === null) process.kill(m.proc.pid, signal);
      if (signal === 'SIGKILL') m.proc = null;
    },
    async stop() {
      await Promise.all(
        members.map(async (m) => {
          const p = m.proc;
          m.proc = null;
          if (!p || p.pid === undefined || p.exitCode !== null) return;
          const exited = new Promise((resolve) => p.once('exit', resolve));
          process.kill(p.pid, 'SIGCONT');
          process.kill(p.pid, 'SIGKILL');
          await exited;
        }),
      );
    },
  };
}

export interface ElectedLine {
  /** epoch ms */
  ts: number;
  member: string;
  leader: string;
  term: number;
}

/** The "raft.node: <id> elected leader <id> at term N" lines of a zap log: the ground truth. */
export function electedLines(log: string): ElectedLine[] {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  const out: ElectedLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('elected leader')) continue;
    const j = JSON.parse(line) as { ts: string; msg: string };
    const m = /raft\.node: (\w+) elected leader (\w+) at term (\d+)/.exec(j.msg);
    if (m) out.push({ ts: Date.parse(j.ts), member: m[1]!, leader: m[2]!, term: Number(m[3]) });
  }
  return out;
}
