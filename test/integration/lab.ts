/**
 * The shared lab for integration tests: `startLab(opts)` runs the CLI's `lab up` (built CLI:
 * `npm run build` first) and `stopLab()` its `lab down`. Call stopLab() in afterAll, always: it is
 * idempotent and also stops a lab whose start failed half-way.
 *
 * Addresses and dir come from KHA_TEST_LAB_FIRST_IP (default 127.0.10.1), KHA_TEST_LAB_LB_IP
 * (default 127.0.10.100) and KHA_TEST_LAB_DIR (default: a new temp dir per lab, removed by
 * stopLab unless KHA_TEST_KEEP_LAB=1). Leader election defaults to fast timings (4s/3s/1s).
 */
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabState } from '../../src/lab/state.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin', 'kha-drill.js');

export interface StartLabOptions {
  masters?: number;
  tls?: boolean;
  leaseDuration?: string;
  renewDeadline?: string;
  retryPeriod?: string;
  sshPort?: number;
}

export interface LabMasterInfo {
  name: string;
  address: string;
  etcd: string;
  apiserver: string;
}

export interface Lab {
  dir: string;
  tls: boolean;
  masters: LabMasterInfo[];
  lbIp: string;
  loadBalancer: string;
  inventory: string;
  kubeconfig: string;
  sshKey: string;
  knownHosts: string;
  sshPort: number;
  /** the variables `lab env` exports (KUBECONFIG, KHA_INVENTORY, ETCDCTL_*) */
  env: Record<string, string>;
  readyAfterMs: number;
  state: LabState;
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

interface Started {
  dir: string;
  temp: boolean;
}
const started: Started[] = [];

export function labDirFor(): { dir: string; temp: boolean } {
  const fromEnv = process.env.KHA_TEST_LAB_DIR;
  if (fromEnv) return { dir: path.resolve(fromEnv), temp: false };
  return { dir: mkdtempSync(path.join(os.tmpdir(), 'kha-lab-test-')), temp: true };
}

export async function startLab(opts: StartLabOptions = {}): Promise<Lab> {
  const { dir, temp } = labDirFor();
  const firstIp = process.env.KHA_TEST_LAB_FIRST_IP ?? '127.0.10.1';
  const lbIp = process.env.KHA_TEST_LAB_LB_IP ?? '127.0.10.100';
  const sshPort = opts.sshPort ?? 22;
  // a lab left by a killed run would make `lab up` refuse: clear it first
  await kha(['lab', 'down', '--dir', dir]);
  started.push({ dir, temp });
  const args = [
    'lab',
    'up',
    '--dir',
    dir,
    '--first-ip',
    firstIp,
    '--lb-ip',
    lbIp,
    '--ssh-port',
    String(sshPort),
  ];
  args.push('--masters', String(opts.masters ?? 3));
  args.push('--lease-duration', opts.leaseDuration ?? '4s', '--renew-deadline', opts.renewDeadline ?? '3s');
  args.push('--retry-period', opts.retryPeriod ?? '1s');
  if (opts.tls) args.push('--tls');
  const up = await kha(args);
  if (up.code !== 0) throw new Error(`lab up failed (exit ${up.code}):\n${up.stdout}\n${up.stderr}`);
  const state = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as LabState;
  const envOut = await kha(['lab', 'env', '--dir', dir]);
  const env: Record<string, string> = {};
  for (const line of envOut.stdout.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1] as string] = m[2] as string;
  }
  const scheme = opts.tls ? 'https' : 'http';
  return {
    dir,
    tls: Boolean(opts.tls),
    masters: state.masters.map((m) => ({
      name: m.name,
      address: m.address,
      etcd: `${scheme}://${m.address}:2379`,
      apiserver: `${scheme}://${m.address}:6443`,
    })),
    lbIp,
    loadBalancer: `${scheme}://${lbIp}:6443`,
    inventory: path.join(dir, 'inventory.yaml'),
    kubeconfig: path.join(dir, 'kubeconfig'),
    sshKey: path.join(dir, 'ssh', 'id_ed25519'),
    knownHosts: path.join(dir, 'ssh', 'known_hosts'),
    sshPort,
    env,
    readyAfterMs: state.readyAfterMs ?? Number.NaN,
    state,
    upOutput: up.stdout,
  };
}

/** `lab down` for every lab startLab began (newest first); safe to call twice. */
export async function stopLab(): Promise<CliResult[]> {
  const results: CliResult[] = [];
  while (started.length > 0) {
    const { dir, temp } = started.pop() as Started;
    const purge = temp && process.env.KHA_TEST_KEEP_LAB !== '1';
    results.push(await kha(['lab', 'down', '--dir', dir, ...(purge ? ['--purge'] : [])]));
  }
  return results;
}

/** A command over the lab's real SSH (strict host key checking, the lab key). */
export function labSsh(
  lab: Lab,
  master: string,
  command: string,
  timeoutMs = 30_000,
): SpawnSyncReturns<string> {
  const m = lab.masters.find((x) => x.name === master || x.address === master);
  if (!m) throw new Error(`no master ${master}`);
  return spawnSync(
    'ssh',
    [
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
      '-p',
      String(lab.sshPort),
      `root@${m.address}`,
      command,
    ],
    { encoding: 'utf8', timeout: timeoutMs },
  );
}
