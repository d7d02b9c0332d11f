/**
 * `lab up`: check the machine, write keys, certificates, configs and units, start sshd, etcd,
 * the API servers, the candidates and HAProxy, and wait until all of it answers. Any failure
 * stops everything that started and shows the failing component's log.
 */
import { chmodSync, chownSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../config/duration.js';
import type { Context } from '../context.js';
import { ExitCode, KhaError, UsageError } from '../errors.js';
import { haproxyArgv, haproxyConfig, unitSpecs } from './components.js';
import { labDown, pidFiles } from './down.js';
import { envLines, inventoryYaml, kubeconfigYaml } from './files.js';
import { loadClientTls, tcpOpen, type ClientTls } from './http.js';
import { createChains } from './iptables.js';
import {
  APISERVER_PORT,
  apiserverUrl,
  ETCD_CLIENT_PORT,
  ETCD_PEER_PORT,
  etcdUrl,
  labMasters,
  labPaths,
  loadBalancerUrl,
  pkiPaths,
  type LabMaster,
  type LabOptions,
} from './layout.js';
import { listeners } from './listeners.js';
import { makePki } from './pki.js';
import { checkPrerequisites } from './prereq.js';
import { etcdStatus, leaseHolder, LEASES, readyz } from './probes.js';
import { livePid, spawnDetached, tail } from './proc.js';
import { prepareSsh, sshdArgv } from './sshd.js';
import { writeState, type LabState } from './state.js';
import { startUnit, writeUnit, type UnitSpec } from './units.js';

/** A component that died or never became ready. */
class StartFailure extends Error {
  constructor(
    readonly component: string,
    readonly logs: string[],
    message: string,
  ) {
    super(message);
  }
}

export function validateOptions(opts: LabOptions): void {
  if (!Number.isInteger(opts.masters) || opts.masters < 1 || opts.masters > 9) {
    throw new UsageError(`--masters must be 1 to 9, got ${opts.masters}`);
  }
  const [lease, renew, retry] = [opts.leaseDuration, opts.renewDeadline, opts.retryPeriod].map(
    parseDuration,
  ) as [number, number, number];
  if (!(lease > renew && renew > 1.2 * retry)) {
    throw new UsageError(
      `leader election needs lease-duration > renew-deadline > 1.2 × retry-period (got ${opts.leaseDuration} / ${opts.renewDeadline} / ${opts.retryPeriod})`,
    );
  }
  if (labMasters(opts).some((m) => m.address === opts.lbIp)) {
    throw new UsageError(
      `--lb-ip ${opts.lbIp} is one of the masters' addresses; pick another (default 127.0.10.100)`,
    );
  }
  if (!opts.root && opts.sshPort < 1024) {
    throw new UsageError(`without root, sshd cannot listen on port ${opts.sshPort}`, {
      hint: 'pass --ssh-port 2222 (any port from 1024); partitions need root and are refused in such a lab',
    });
  }
}

/** As root, every master's uid must be able to walk down to its files in the lab dir. */
function checkDirReachable(dir: string): void {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    let mode: number | undefined;
    try {
      mode = statSync(d).mode;
    } catch {
      mode = undefined; // created by lab up, with mode 0755
    }
    if (mode !== undefined && (mode & 0o001) === 0) {
      throw new UsageError(
        `the lab dir must be reachable by the masters' uids, but ${d} is not searchable by others`,
        {
          hint: 'pick a --dir outside it, e.g. under /tmp or the project directory',
        },
      );
    }
    if (d === path.dirname(d)) return;
  }
}

/** Removes what an earlier lab left in `dir` (only the lab's own entries). */
function clearDir(dir: string): void {
  const p = labPaths(dir);
  for (const entry of [
    p.state,
    p.inventory,
    p.kubeconfig,
    p.haproxyConfig,
    p.ssh,
    p.pki,
    p.run,
    p.logs,
    p.data,
    p.units,
    p.bin,
  ]) {
    rmSync(entry, { recursive: true, force: true });
  }
}

function ownedDir(dir: string, uid: number | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (uid !== undefined) chownSync(dir, uid, uid);
}

interface Started {
  component: string;
  pidFile: string;
  logFile: string;
}

export interface UpResult {
  readyAfterMs: number;
  state: LabState;
}

export async function labUp(opts: LabOptions, ctx: Context): Promise<UpResult> {
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
  const out = (s: string): void => ctx.stdout.write(`${s}\n`);
  const { dir } = opts;
  const p = labPaths(dir);

  validateOptions(opts);
  checkPrerequisites(ctx.env.PATH ?? '', opts.root);
  if (opts.root) checkDirReachable(dir);
  const running = pidFiles(dir).filter((f) => livePid(f.file, dir) !== undefined);
  if (running.length > 0) {
    throw new KhaError(
      'E_LAB_RUNNING',
      ExitCode.BadInput,
      `a lab is already running in ${dir} (${running.map((r) => r.component).join(', ')})`,
      {
        hint: `kha-drill lab status --dir ${dir}, or kha-drill lab down --dir ${dir} first`,
      },
    );
  }
  const masters = labMasters(opts);
  const addresses = [...masters.map((m) => m.address), opts.lbIp];
  const busy = listeners(addresses, [opts.sshPort, ETCD_CLIENT_PORT, ETCD_PEER_PORT, APISERVER_PORT]);
  if (busy.length > 0) {
    throw new KhaError('E_LAB_BUSY', ExitCode.BadInput, `lab addresses already in use: ${busy.join('; ')}`, {
      hint: 'another lab? stop it with kha-drill lab down --dir <its dir>, or pick --first-ip/--lb-ip',
    });
  }

  out(
    `kha-drill lab: ${masters.length} masters on ${masters[0]?.address}…${masters.at(-1)?.address}, ` +
      `load balancer ${opts.lbIp}:${APISERVER_PORT}, ${opts.tls ? 'TLS' : 'plain HTTP'}, dir ${dir}`,
  );
  clearDir(dir);
  mkdirSync(dir, { recursive: true });
  // the masters' uids must reach their files below the lab dir
  if (opts.root) chmodSync(dir, 0o755);
  for (const m of masters) {
    ownedDir(p.masterLogs(m.name), m.uid);
    mkdirSync(p.masterRun(m.name), { recursive: true });
  }

  const state: LabState = {
    version: 1,
    options: opts,
    masters,
    createdAt: new Date().toISOString(),
    pids: {},
    chains: [],
  };
  writeState(dir, state);

  const sshUser = opts.root ? 'root' : os.userInfo().username;
  let aborted: string | undefined;
  const offs = (['SIGINT', 'SIGTERM'] as const).map((sig) => ctx.onSignal(sig, () => void (aborted = sig)));
  const started: Started[] = [];
  try {
    prepareSsh(dir, masters, opts.sshPort, opts.root);
    if (opts.tls) makePki(dir, masters, opts.lbIp);
    const specs = new Map<LabMaster, UnitSpec[]>();
    for (const m of masters) {
      const units = unitSpecs(opts, masters, m);
      units.forEach((u) => writeUnit(dir, u));
      specs.set(m, units);
    }
    writeFileSync(p.haproxyConfig, haproxyConfig(opts, masters));
    writeFileSync(p.inventory, inventoryYaml(opts, masters, sshUser));
    writeFileSync(p.kubeconfig, kubeconfigYaml(opts), { mode: 0o600 });
    if (opts.root) {
      state.chains = createChains(masters, dir);
      writeState(dir, state);
    }
    out(`  wrote keys${opts.tls ? ', certificates' : ''}, configs and units (${elapsed()})`);

    const env = { PATH: ctx.env.PATH ?? '/usr/bin:/bin', KHA_LAB_DIR: dir, LANG: 'C.UTF-8' };
    const launch = (component: string, pidFile: string, logFile: string, start: () => number): void => {
      try {
        state.pids[component] = start();
      } catch (err) {
        throw new StartFailure(component, [logFile], (err as Error).message);
      }
      started.push({ component, pidFile, logFile });
    };
    for (const m of masters) {
      const [pidFile, logFile] = [p.sshdPid(m.name), p.sshdLog(m.name)];
      launch(`${m.name}/sshd`, pidFile, logFile, () =>
        spawnDetached({ argv: sshdArgv(dir, m), env, cwd: dir, logFile, pidFile }),
      );
    }
    // etcd first in each round: every member must start before any can form a quorum
    for (const unit of ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager']) {
      for (const m of masters) {
        const spec = specs.get(m)?.find((u) => u.unit === unit) as UnitSpec;
        launch(`${m.name}/${unit}`, spec.pidFile, spec.logFile, () => startUnit(dir, spec));
      }
    }
    launch('haproxy', p.haproxyPid, p.haproxyLog, () =>
      spawnDetached({ argv: haproxyArgv(opts), env, cwd: dir, logFile: p.haproxyLog, pidFile: p.haproxyPid }),
    );
    writeState(dir, state);
    out(
      `  started sshd, etcd, kube-apiserver, kube-scheduler, kube-controller-manager ×${masters.length} and haproxy (${elapsed()})`,
    );

    await waitReady(
      opts,
      masters,
      started,
      () => aborted,
      (stage) => out(`  ready: ${stage} (${elapsed()})`),
    );
  } catch (err) {
    for (const off of offs) off();
    const failure = err instanceof StartFailure ? err : undefined;
    out(`  stopping everything that started…`);
    const left = await labDown(dir, { timeoutMs: 3_000 });
    for (const l of [...left.listenersLeft, ...left.chainsLeft])
      ctx.stderr.write(`warning: still there after stopping: ${l}\n`);
    if (failure) {
      for (const log of failure.logs) {
        const text = tail(log, 15);
        ctx.stderr.write(`--- ${log} (last lines) ---\n${text || '(empty)'}\n`);
      }
      throw new KhaError(
        'E_LAB_START',
        ExitCode.Infrastructure,
        `lab up failed: ${failure.component}: ${failure.message}`,
        {
          hint: `logs are kept in ${p.logs}`,
        },
      );
    }
    throw err;
  }
  for (const off of offs) off();

  const readyAfterMs = Math.round(performance.now() - t0);
  state.readyAt = new Date().toISOString();
  state.readyAfterMs = readyAfterMs;
  writeState(dir, state);
  out(`\nlab up: ready in ${(readyAfterMs / 1000).toFixed(1)}s. Next:\n`);
  for (const line of envLines(opts, masters)) out(`  ${line}`);
  out(`  kha-drill status -i ${p.inventory}`);
  out(`  kubectl --kubeconfig ${p.kubeconfig} get lease -n kube-system`);
  out(`  etcdctl endpoint status -w table`);
  out(
    `  ssh -i ${p.clientKey} -o UserKnownHostsFile=${p.knownHosts} -o StrictHostKeyChecking=yes ${opts.sshPort === 22 ? '' : `-p ${opts.sshPort} `}${sshUser}@${masters[0]?.address} systemctl status kube-scheduler`,
  );
  out(`  kha-drill lab down --dir ${dir}`);
  return { readyAfterMs, state };
}

async function waitReady(
  opts: LabOptions,
  masters: LabMaster[],
  started: Started[],
  aborted: () => string | undefined,
  report: (stage: string) => void,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const k = pkiPaths(opts.dir);
  const tls: ClientTls | undefined = opts.tls
    ? loadClientTls({ ca: k.ca, cert: k.adminCert, key: k.adminKey })
    : undefined;
  const lb = loadBalancerUrl(opts);
  const logsOf = (unit: string): string[] =>
    started.filter((s) => s.component.endsWith(unit)).map((s) => s.logFile);
  const pending = new Map<string, () => Promise<string | undefined>>([
    [
      'sshd',
      async () => {
        const open = await Promise.all(masters.map((m) => tcpOpen(m.address, opts.sshPort)));
        return open.every(Boolean) ? `sshd on :${opts.sshPort}` : undefined;
      },
    ],
    [
      'etcd',
      async () => {
        const st = await Promise.all(masters.map((m) => etcdStatus(etcdUrl(m, opts.tls), tls)));
        const leaders = new Set(st.map((s) => s.leader));
        if (!st.every((s) => s.ok) || leaders.size !== 1) return undefined;
        const i = st.findIndex((s) => s.isLeader);
        return `etcd (leader ${masters[i]?.name ?? '?'}, term ${st[i]?.raftTerm ?? '?'})`;
      },
    ],
    [
      'kube-apiserver',
      async () => {
        const r = await Promise.all(masters.map((m) => readyz(apiserverUrl(m, opts.tls), tls)));
        return r.every((x) => x.ok) ? 'kube-apiserver /readyz' : undefined;
      },
    ],
    ['haproxy', async () => ((await readyz(lb, tls)).ok ? `load balancer ${lb}` : undefined)],
    [
      'leases',
      async () => {
        const held = await Promise.all(LEASES.map((l) => leaseHolder(lb, l, tls)));
        return held.every((h) => h.holder)
          ? `leases held (${held.map((h) => `${h.name}: ${h.holder}`).join(', ')})`
          : undefined;
      },
    ],
  ]);
  while (pending.size > 0) {
    const sig = aborted();
    if (sig) throw new Error(`interrupted by ${sig}`);
    for (const s of started) {
      if (livePid(s.pidFile, opts.dir) === undefined)
        throw new StartFailure(s.component, [s.logFile], 'exited during start-up');
    }
    const results = await Promise.all(
      [...pending].map(async ([name, check]) => [name, await check()] as const),
    );
    for (const [name, done] of results) {
      if (done === undefined) continue;
      pending.delete(name);
      report(done);
    }
    if (pending.size === 0) break;
    if (performance.now() > deadline) {
      const first = [...pending.keys()][0] as string;
      const logs =
        first === 'leases'
          ? [...logsOf('kube-scheduler'), ...logsOf('kube-controller-manager')]
          : logsOf(first);
      throw new StartFailure(
        first,
        logs,
        `not ready after ${timeoutMs / 1000}s (waiting for ${[...pending.keys()].join(', ')})`,
      );
    }
    await sleep(150);
  }
}

export function defaultLabDir(env: Record<string, string | undefined>, cwd: string): string {
  return env.KHA_LAB_DIR ?? `${cwd}/.kha-lab`;
}
