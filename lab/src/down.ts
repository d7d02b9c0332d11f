/**
 * `lab down`: stop what the state names (by pid, checked to be this lab's), unmount the overlays,
 * delete the lab's namespaces (their veths, bridge and iptables rules go with them) and the
 * laptop's leg, then check that nothing is left. Idempotent; works after a killed `lab up`.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMasterProcess, isMounted, unmount } from './host.js';
import { cgroupDirs, controllerDirs, removeCgroup } from './cgroup.js';
import { labPaths, machineName, type LabHost } from './layout.js';
import { delNetns, dropLaptopIfUnused, netnsExists, processesIn, readProc, unplugLaptop } from './net.js';
import { isAlive, stopPid } from './proc.js';
import type { Progress } from './progress.js';
import { readState } from './state.js';

export interface DownResult {
  stopped: string[];
  left: string[];
}

/** The pid is this lab's HAProxy: its command line names the lab's own config file. */
function isHaproxy(pid: number, config: string): boolean {
  const cmd = readProc(pid, 'cmdline') ?? '';
  return cmd.includes('haproxy') && cmd.includes(`${config}\0`);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** SIGTERM to nspawn halts the container through its own systemd; true when done in time. */
async function haltWithin(pid: number, ms: number): Promise<boolean> {
  signal(pid, 'SIGTERM');
  const end = performance.now() + ms;
  while (isAlive(pid) && performance.now() < end) await sleep(100);
  return !isAlive(pid);
}

export async function labDown(
  dir: string,
  progress: Progress,
  opts: { purge?: boolean } = {},
): Promise<DownResult> {
  const state = readState(dir);
  const stopped: string[] = [];
  const left: string[] = [];
  if (!state) {
    if (opts.purge) rmSync(dir, { recursive: true, force: true });
    return { stopped, left };
  }
  const o = state.options;
  const byName = new Map<string, LabHost>(state.masters.map((m) => [m.name, m]));
  // Every host at once, each halted by its own systemd (units in reverse start order), for a few
  // seconds: a lab's data is thrown away, so a host still halting then is killed with its namespace.
  await Promise.all(
    Object.entries(state.pids).map(async ([host, pid]) => {
      const m = byName.get(host);
      const ours = m ? isMasterProcess(pid, o, m) : isHaproxy(pid, labPaths(dir).haproxyConfig);
      if (!ours || !isAlive(pid)) return;
      if (m && !(await haltWithin(pid, 8_000))) {
        // still halting: kill the container itself, so that nspawn ends as after a crash of it
        for (const p of processesIn(m.netns).filter((p) => p !== pid)) signal(p, 'SIGKILL');
      }
      if (await stopPid(pid, 5_000)) stopped.push(host);
      else left.push(`process ${pid} (${host})`);
    }),
  );
  if (stopped.length > 0) progress.line(`stopped ${stopped.join(', ')}`);
  // A container whose nspawn died (killed, or stopped too slowly) leaves its init behind. The lab's
  // namespaces hold nothing but the lab's own hosts, so whatever still lives in them is the lab's.
  const orphans = state.netns.flatMap((ns) => processesIn(ns));
  if (orphans.length > 0) {
    for (const pid of orphans) signal(pid, 'SIGKILL');
    await Promise.all(orphans.map((pid) => stopPid(pid, 5_000)));
    progress.line(`killed ${orphans.length} processes left in the lab's namespaces`);
  }
  for (const target of state.mounts) {
    if (!(await unmount(target))) left.push(`mount ${target}`);
  }
  for (const m of state.masters) {
    // the v1 controller cgroups exist for the kubeadm topology only (with its pods' cgroups below)
    for (const cg of [
      ...cgroupDirs(machineName(o.name, m.name)),
      ...controllerDirs(machineName(o.name, m.name)),
    ])
      if (!removeCgroup(cg)) left.push(`cgroup ${cg}`);
  }
  await unplugLaptop(o.name);
  for (const ns of state.netns) {
    // a process still inside (none should be) keeps the namespace alive: say so, do not kill it
    const inside = processesIn(ns);
    if (inside.length > 0) left.push(`namespace ${ns} (processes ${inside.join(', ')})`);
    await delNetns(ns);
    if (netnsExists(ns)) left.push(`namespace ${ns}`);
  }
  await dropLaptopIfUnused();
  const p = labPaths(dir);
  if (left.length === 0) {
    rmSync(p.hosts, { recursive: true, force: true });
    rmSync(p.state, { force: true });
  }
  for (const target of state.mounts) if (isMounted(target)) left.push(`mount ${target}`);
  if (opts.purge && left.length === 0) rmSync(dir, { recursive: true, force: true });
  return { stopped, left };
}
