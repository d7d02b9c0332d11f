/**
 * The bench's own lab: `kha-drill lab up|down` (run as the user runs them), SSH to its masters
 * with the lab key and pinned host keys, units brought back between runs, and the ground truth
 * read from each master's journal after a run (parsed by lab/src/truth.ts and ./truth.ts).
 */
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { loadTlsFiles, type TlsMaterial } from '../src/clients/tls.js';
import { labPaths, LAPTOP_NETNS } from '../lab/src/layout.js';
import { journalCommand, parseJournal } from '../lab/src/truth.js';
import { cli, log, type CliResult } from './harness.js';
import { electionsOf, leaseLogOf, unitLogOf, type Elected, type LeaseLog, type UnitLog } from './truth.js';

export interface LabSpec {
  name: string;
  net: number;
  dir: string;
  kubernetes: string | null;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
}

export interface BenchLab {
  name: string;
  net: number;
  dir: string;
  masters: { name: string; address: string }[];
  lbAddress: string;
  inventory: string;
  kubeconfig: string;
  etcdEndpoints: string[];
  /** what `lab env` exports: KUBECONFIG, ETCDCTL_*, PATH with the lab's kubectl and etcdctl */
  env: Record<string, string>;
  kubectl: string;
  etcdctl: string;
  kubernetesVersion: string;
  etcdVersion: string;
}

/** The units whose journals hold the Lease lines of the Leases the bench judges. */
export const LEASE_UNITS = ['kube-scheduler', 'kube-controller-manager'];
/** client-go logs each renewal at klog verbosity 5 only: the old holder's last renewal is truth */
export const LEADER_ELECTION_VERBOSITY = 5;
const UNITS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** True when this process is in the laptop namespace, the only place a lab is reachable from. */
export function onLaptopSide(): boolean {
  try {
    return readlinkSync('/proc/self/ns/net') === `net:[${statSync(`/run/netns/${LAPTOP_NETNS}`).ino}]`;
  } catch {
    return false;
  }
}

export function upArgs(s: LabSpec): string[] {
  const args = ['lab', 'up', '--name', s.name, '--net', String(s.net), '--dir', s.dir];
  args.push('--lease-duration', s.leaseDuration, '--renew-deadline', s.renewDeadline);
  args.push('--retry-period', s.retryPeriod);
  args.push('--leader-election-verbosity', String(LEADER_ELECTION_VERBOSITY));
  if (s.kubernetes) args.push('--kubernetes', s.kubernetes);
  return args;
}

interface LabStateFile {
  masters: { name: string; address: string }[];
  lb: { address: string };
  binaries: { kubernetes: string; kubernetesVersion: string; etcd: string; etcdVersion: string };
}

export async function labUp(s: LabSpec, env: NodeJS.ProcessEnv): Promise<BenchLab> {
  const up = await cli(upArgs(s), env, 900_000);
  if (up.code !== 0) throw new Error(`lab up failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
  const p = labPaths(s.dir);
  const state = JSON.parse(readFileSync(p.state, 'utf8')) as LabStateFile;
  const envOut = await cli(['lab', 'env', '--dir', s.dir], env);
  const labEnv: Record<string, string> = {};
  for (const line of envOut.stdout.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) labEnv[m[1]!] = m[2]!.replace('$PATH', process.env.PATH ?? '/usr/bin:/bin');
  }
  return {
    name: s.name,
    net: s.net,
    dir: s.dir,
    masters: state.masters.map((m) => ({ name: m.name, address: m.address })),
    lbAddress: state.lb.address,
    inventory: p.inventory,
    kubeconfig: p.kubeconfig,
    etcdEndpoints: (labEnv.ETCDCTL_ENDPOINTS ?? '').split(',').filter(Boolean),
    env: labEnv,
    kubectl: `${state.binaries.kubernetes}/kubectl`,
    etcdctl: `${state.binaries.etcd}/etcdctl`,
    kubernetesVersion: state.binaries.kubernetesVersion,
    etcdVersion: state.binaries.etcdVersion,
  };
}

export async function labDown(dir: string, purge: boolean, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return cli(['lab', 'down', '--dir', dir, ...(purge ? ['--purge'] : [])], env, 180_000);
}

/** A command on a master over the lab's real SSH (lab key, pinned host key). */
export function ssh(lab: BenchLab, address: string, command: string, timeoutMs = 30_000): Promise<CliResult> {
  const p = labPaths(lab.dir);
  const args = ['-i', p.clientKey, '-o', `UserKnownHostsFile=${p.knownHosts}`];
  args.push('-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5');
  args.push('-o', 'LogLevel=ERROR', `root@${address}`, command);
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Brings every unit back to active between runs. systemd restarts a unit that died
 * (`Restart=on-failure`: a SIGKILLed unit, a scheduler that lost its Lease and exited 1), so a
 * unit that is activating is only waited for; one left stopped (inactive, failed) is started.
 * Returns what it started (`master/unit`); waits up to 30 s for all to be active.
 */
export async function heal(lab: BenchLab): Promise<string[]> {
  const units = UNITS.join(' ');
  const script = [
    `for u in ${units}; do case "$(systemctl is-active $u)" in active|activating|reloading) ;; *) systemctl start --no-block $u; echo "$u";; esac; done`,
    `for i in $(seq 60); do ok=1; for u in ${units}; do systemctl is-active -q $u || ok=0; done; [ $ok = 1 ] && break; sleep 0.5; done`,
  ].join('; ');
  const results = await Promise.all(
    lab.masters.map(async (m) => {
      const r = await ssh(lab, m.address, script, 60_000);
      return r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((u) => `${m.name}/${u}`);
    }),
  );
  return results.flat();
}

export interface GroundTruth {
  elections: Elected[];
  /** the leader-election lines of every Lease unit */
  leaseLog: LeaseLog[];
  /** systemd's lines about etcd and the Lease units */
  unitLog: UnitLog[];
}

const SPLIT = '--kha-bench-split--';

/**
 * Every master's journal after a run: etcd's "elected leader" lines since the lab started (few,
 * and the term in force at the fault may be old), and from `sinceMs` on, systemd's lines about
 * etcd (the fault's true moment of an etcd kill) and the Lease units' lines (their leader
 * election and systemd's records of their stop or death).
 */
export async function groundTruth(lab: BenchLab, sinceMs: number): Promise<GroundTruth> {
  const units = ['etcd', ...LEASE_UNITS];
  const command = [
    `${journalCommand('etcd')} --grep 'elected leader'`,
    ...units.flatMap((u) => [`echo ${SPLIT}`, journalCommand(u, sinceMs)]),
  ].join('; ');
  const out: GroundTruth = { elections: [], leaseLog: [], unitLog: [] };
  await Promise.all(
    lab.masters.map(async (m) => {
      const r = await ssh(lab, m.address, command, 60_000);
      const [elected = '', ...perUnit] = r.stdout.split(SPLIT);
      if (r.code !== 0) log(`ground truth: ssh ${m.name} exit ${r.code}: ${r.stderr.trim().slice(-200)}`);
      out.elections.push(...electionsOf(parseJournal(elected), m.name));
      units.forEach((unit, i) => {
        const entries = parseJournal(perUnit[i] ?? '');
        if (unit !== 'etcd') out.leaseLog.push(...leaseLogOf(entries, m.name));
        out.unitLog.push(...unitLogOf(entries, m.name, unit));
      });
    }),
  );
  return out;
}

/** The etcd client TLS the lab gives etcdctl (ETCDCTL_CACERT, _CERT, _KEY), read. */
export function labEtcdTls(lab: BenchLab): TlsMaterial {
  return loadTlsFiles({ ca: lab.env.ETCDCTL_CACERT, cert: lab.env.ETCDCTL_CERT, key: lab.env.ETCDCTL_KEY });
}
