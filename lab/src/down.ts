/**
 * `lab down`: stop what the state names (by pid, checked to be this lab's), unmount the overlays,
 * delete the lab's namespaces (their veths, bridge and iptables rules go with them) and the
 * laptop's leg, then check that nothing is left. Idempotent; works after a killed `lab up`.
 */
import { rmSync } from 'node:fs';
import { isMasterProcess, isMounted, unmount } from './host.js';
import { labPaths, type LabHost } from './layout.js';
import { delNetns, dropLaptopIfUnused, netnsExists, processesIn, readProc, unplugLaptop } from './net.js';
import { isAlive, stopPid } from './proc.js';
import type { Progress } from './progress.js';
import { readState } from './state.js';

export interface DownResult {
  stopped: string[];
  left: string[];
}

function isHaproxy(pid: number, netns: string): boolean {
  const cmd = readProc(pid, 'cmdline') ?? '';
  return cmd.includes('haproxy') && (cmd.includes(netns) || cmd.startsWith('haproxy'));
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
  // every host at once: each container's systemd stops its units in order (as a shutdown does)
  await Promise.all(
    Object.entries(state.pids).map(async ([host, pid]) => {
      const m = byName.get(host);
      const ours = m ? isMasterProcess(pid, o, m) : isHaproxy(pid, state.lb.netns);
      if (!ours || !isAlive(pid)) return;
      if (await stopPid(pid, m ? 30_000 : 5_000)) stopped.push(host);
      else left.push(`process ${pid} (${host})`);
    }),
  );
  if (stopped.length > 0) progress.line(`stopped ${stopped.join(', ')}`);
  for (const target of state.mounts) {
    if (!(await unmount(target))) left.push(`mount ${target}`);
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
