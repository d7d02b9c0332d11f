/**
 * The lab for integration tests: `startLab(opts)` runs the CLI's `lab up` (built CLI and lab:
 * `npm run build` first) and `stopLab()` its `lab down`. Call stopLab() in afterAll, always: it is
 * idempotent and also takes down a lab whose start failed half-way.
 *
 * The lab is reachable only from the laptop network namespace (kha-laptop): `npm test` runs vitest
 * there (`kha-drill lab exec -- vitest run`), so every process of a test is on the laptop side.
 * Each lab of a test file is named KHA_TEST_LAB_NAME (default `it`) plus a counter, on the subnet
 * 198.18.<KHA_TEST_LAB_NET + counter − 1>.0/24 (default 101), in a fixed directory under the temp
 * dir, so a lab left by a killed run is taken down by the next start. Leader election defaults to
 * fast timings (4s/3s/1s). KHA_TEST_KUBERNETES and KHA_TEST_ETCD pick the versions.
 */
import { execFile, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin', 'kha-drill.js');

export interface StartLabOptions {
  masters?: number;
  leaseDuration?: string;
  renewDeadline?: string;
  retryPeriod?: string;
  kubernetes?: string;
  /** release binaries instead of the lab's build (`lab up --kubernetes-bin`) */
  kubernetesBin?: string;
  etcd?: string;
  /** `lab up --topology` (systemd when unset) */
  topology?: 'systemd' | 'kubeadm';
  /** `lab up --peer-net`: etcd's peer traffic on a separate network */
  peerNet?: boolean;
  /** `lab up --etcd-auth`: etcd auth on, the inventory as least-privileged kha-drill users */
  etcdAuth?: boolean;
}

export interface LabMasterInfo {
  name: string;
  address: string;
  etcd: string;
  apiserver: string;
}

/** The part of the lab's lab.json the tests read. */
export interface LabStateFile {
  options: { name: string; net: number; dir: string; kubernetes: string; etcd: string };
  masters: Array<{ name: string; address: string; netns: string; peerAddress?: string }>;
  peerNet?: { subnet: string; switchNetns: string };
  lb: { address: string; netns: string };
  laptop: { address: string; netns: string };
  switchNetns: string;
  netns: string[];
  mounts: string[];
  pids: Record<string, number>;
  binaries: { kubernetes: string; kubernetesVersion: string; etcd: string; etcdVersion: string };
  readyAfterMs?: number;
}

export interface Lab {
  name: string;
  dir: string;
  masters: LabMasterInfo[];
  lbIp: string;
  loadBalancer: string;
  inventory: string;
  kubeconfig: string;
  sshKey: string;
  knownHosts: string;
  sshPort: number;
  /** the variables `lab env` exports (KUBECONFIG, KHA_INVENTORY, ETCDCTL_*, PATH with kubectl) */
  env: Record<string, string>;
  /** etcd client TLS files (the lab's admin certificate) */
  etcdTls: { ca: string; cert: string; key: string };
  kubectl: string;
  etcdctl: string;
  readyAfterMs: number;
  state: LabStateFile;
  upOutput: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`node bin/kha-drill.js …`). */
export function kha(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** True when this process is on the laptop side (the kha-laptop namespace). */
export function onLaptopSide(): boolean {
  try {
    return readlinkSync('/proc/self/ns/net') === `net:[${statSync('/run/netns/kha-laptop').ino}]`;
  } catch {
    return false;
  }
}

const started: string[] = [];
let counter = 0;

export function nextLabName(): { name: string; net: number; dir: string } {
  counter += 1;
  const name = `${process.env.KHA_TEST_LAB_NAME ?? 'it'}${counter}`;
  const net = Number(process.env.KHA_TEST_LAB_NET ?? '101') + counter - 1;
  return { name, net, dir: path.join(os.tmpdir(), `kha-lab-test-${name}`) };
}

export async function startLab(opts: StartLabOptions = {}): Promise<Lab> {
  if (!onLaptopSide()) {
    throw new Error(
      'integration tests run on the laptop side of the lab: use npm test (kha-drill lab exec -- vitest run …)',
    );
  }
  const { name, net, dir } = nextLabName();
  // a lab left by a killed run would make `lab up` refuse: clear it first
  await kha(['lab', 'down', '--dir', dir], {}, 120_000);
  started.push(dir);
  const args = ['lab', 'up', '--name', name, '--net', String(net), '--dir', dir];
  args.push('--masters', String(opts.masters ?? 3));
  args.push('--lease-duration', opts.leaseDuration ?? '4s', '--renew-deadline', opts.renewDeadline ?? '3s');
  args.push('--retry-period', opts.retryPeriod ?? '1s');
  const kubernetes = opts.kubernetes ?? process.env.KHA_TEST_KUBERNETES;
  const etcd = opts.etcd ?? process.env.KHA_TEST_ETCD;
  if (kubernetes) args.push('--kubernetes', kubernetes);
  if (opts.kubernetesBin) args.push('--kubernetes-bin', opts.kubernetesBin);
  if (etcd) args.push('--etcd', etcd);
  if (opts.topology) args.push('--topology', opts.topology);
  if (opts.peerNet) args.push('--peer-net');
  if (opts.etcdAuth) args.push('--etcd-auth');
  const up = await kha(args, {}, 900_000);
  if (up.code !== 0) throw new Error(`lab up failed (exit ${up.code}):\n${up.stdout}\n${up.stderr}`);
  const state = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as LabStateFile;
  const envOut = await kha(['lab', 'env', '--dir', dir]);
  const env: Record<string, string> = {};
  for (const line of envOut.stdout.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1] as string] = (m[2] as string).replace('$PATH', process.env.PATH ?? '');
  }
  const pki = path.join(dir, 'pki');
  return {
    name,
    dir,
    masters: state.masters.map((m) => ({
      name: m.name,
      address: m.address,
      etcd: `https://${m.address}:2379`,
      apiserver: `https://${m.address}:6443`,
    })),
    lbIp: state.lb.address,
    loadBalancer: `https://${state.lb.address}:6443`,
    inventory: path.join(dir, 'inventory.yaml'),
    kubeconfig: path.join(dir, 'kubeconfig'),
    sshKey: path.join(dir, 'ssh', 'id_ed25519'),
    knownHosts: path.join(dir, 'ssh', 'known_hosts'),
    sshPort: 22,
    env,
    etcdTls: {
      ca: path.join(pki, 'ca.crt'),
      cert: path.join(pki, 'admin.crt'),
      key: path.join(pki, 'admin.key'),
    },
    kubectl: path.join(state.binaries.kubernetes, 'kubectl'),
    etcdctl: path.join(state.binaries.etcd, 'etcdctl'),
    readyAfterMs: state.readyAfterMs ?? Number.NaN,
    state,
    upOutput: up.stdout,
  };
}

/** `lab down` for every lab startLab began (newest first); safe to call twice. */
export async function stopLab(): Promise<CliResult[]> {
  const results: CliResult[] = [];
  while (started.length > 0) {
    const dir = started.pop() as string;
    const purge = process.env.KHA_TEST_KEEP_LAB !== '1';
    results.push(await kha(['lab', 'down', '--dir', dir, ...(purge ? ['--purge'] : [])], {}, 120_000));
  }
  return results;
}

function sshArgs(lab: Lab, address: string, command: string): string[] {
  return [
    '-i',
    lab.sshKey,
    '-o',
    `UserKnownHostsFile=${lab.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-o',
    'LogLevel=ERROR',
    `root@${address}`,
    command,
  ];
}

const addressOf = (lab: Lab, master: string): string => {
  const m = lab.masters.find((x) => x.name === master || x.address === master);
  if (!m) throw new Error(`no master ${master}`);
  return m.address;
};

/** A command over the lab's real SSH (strict host key checking, the lab key). */
export function labSsh(
  lab: Lab,
  master: string,
  command: string,
  timeoutMs = 30_000,
): SpawnSyncReturns<string> {
  return spawnSync('ssh', sshArgs(lab, addressOf(lab, master), command), {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/**
 * A command inside a master without its network: nsenter into the namespaces of the master's
 * systemd (the child of the systemd-nspawn process lab.json records). It works while the laptop
 * side is cut off from the masters.
 */
export function inMaster(
  lab: Lab,
  master: string,
  command: string,
  timeoutMs = 30_000,
): SpawnSyncReturns<string> {
  const state = JSON.parse(readFileSync(path.join(lab.dir, 'lab.json'), 'utf8')) as LabStateFile;
  const nspawn = state.pids[master];
  if (nspawn === undefined) throw new Error(`${master}: no pid in ${lab.dir}/lab.json`);
  const init = readFileSync(`/proc/${nspawn}/task/${nspawn}/children`, 'utf8').trim().split(/\s+/)[0];
  if (!init) throw new Error(`${master}: systemd-nspawn ${nspawn} has no child`);
  return spawnSync('nsenter', ['-t', init, '-m', '-u', '-i', '-n', '-p', '--', '/bin/sh', '-c', command], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/** As labSsh, without blocking: masters can be asked in parallel. */
export function labSshAsync(
  lab: Lab,
  master: string,
  command: string,
  timeoutMs = 30_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'ssh',
      sshArgs(lab, addressOf(lab, master), command),
      { encoding: 'utf8', timeout: timeoutMs },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The real kubectl against the lab (its kubeconfig: admin through the load balancer). */
export function kubectl(lab: Lab, args: string[], timeoutMs = 30_000): SpawnSyncReturns<string> {
  return spawnSync(lab.kubectl, ['--kubeconfig', lab.kubeconfig, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/** The real etcdctl against every member, with the lab's client certificate. */
export function etcdctl(lab: Lab, args: string[], timeoutMs = 30_000): SpawnSyncReturns<string> {
  return spawnSync(lab.etcdctl, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ...lab.env },
  });
}

/**
 * Waits until `kha-drill status` calls the lab healthy (exit 0): after a drill that stopped etcd,
 * the API server on that master answers /readyz with 500 for a moment after the restore, and
 * preflight rightly refuses a cluster in that state. Returns the last status output.
 */
export async function waitHealthy(
  lab: Lab,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  const until = Date.now() + timeoutMs;
  let r = await kha(['status', '-i', lab.inventory], env);
  while (r.code !== 0 && Date.now() < until) {
    await new Promise((res) => setTimeout(res, 500));
    r = await kha(['status', '-i', lab.inventory], env);
  }
  return r;
}

export const LAB_UNITS = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'];

/** Every lab unit on every master, as `systemctl is-active` says: `master-1: active active …`. */
export function unitStates(lab: Lab): string[] {
  return lab.masters.map((m) => {
    const r = labSsh(lab, m.name, `systemctl is-active ${LAB_UNITS.join(' ')}`);
    return `${m.name}: ${r.stdout.trim().split('\n').join(' ')}`;
  });
}

/** What unitStates says when every unit runs. */
export const allActive = (lab: Lab): string[] =>
  lab.masters.map((m) => `${m.name}: ${LAB_UNITS.map(() => 'active').join(' ')}`);

/** Waits until every unit is active again (a restored or restarted unit may take a moment). */
export async function settleUnits(lab: Lab, timeoutMs = 20_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  let states = unitStates(lab);
  while (Date.now() < until && JSON.stringify(states) !== JSON.stringify(allActive(lab))) {
    await new Promise((r) => setTimeout(r, 500));
    states = unitStates(lab);
  }
  return states;
}

export interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a child; `onStderr` sees the progress so far and may signal or cut the child off. */
export function spawnKha(
  args: string[],
  env: Record<string, string>,
  onStderr: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr(stderr, child);
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The write probe's keys now, with their etcd lease ids (`etcdctl get --prefix /kha-drill/probe/`). */
export function probeKeys(lab: Lab): { lease?: string }[] {
  const r = etcdctl(lab, ['get', '--prefix', '/kha-drill/probe/', '-w', 'json']);
  return (JSON.parse(r.stdout || '{}') as { kvs?: { lease?: string }[] }).kvs ?? [];
}

/**
 * Runs etcd-leader-kill until its write probe has put keys (every one on an etcd lease), then
 * kills the harness with SIGKILL; resolves once it has died (or exited by itself: `killed` then
 * holds its output), with the ms the keys then took to vanish by themselves (or -1 when they were
 * still there after `vanishWithinMs`).
 */
export async function killWhileProbing(
  lab: Lab,
  env: Record<string, string>,
  outDir: string,
  vanishWithinMs: number,
): Promise<{ keysBefore: { lease?: string }[]; killed: ChildResult; vanishedAfterMs: number }> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let child: ReturnType<typeof spawn> | undefined;
  let exited = false;
  const done = spawnKha(['run', 'etcd-leader-kill', '-i', lab.inventory, '--out', outDir], env, (_t, c) => {
    child = c;
  }).then((r) => {
    exited = true;
    return r;
  });
  let keysBefore: { lease?: string }[] = [];
  // a run that stopped early (preflight refused the cluster) puts no keys: no use waiting
  for (let i = 0; i < 200 && keysBefore.length === 0 && !exited; i++) {
    await sleep(200);
    keysBefore = probeKeys(lab);
  }
  child?.kill('SIGKILL');
  const killed = await done;
  const t0 = Date.now();
  while (probeKeys(lab).length > 0 && Date.now() - t0 < vanishWithinMs) await sleep(500);
  const vanishedAfterMs = probeKeys(lab).length === 0 ? Date.now() - t0 : -1;
  return { keysBefore, killed, vanishedAfterMs };
}
