/**
 * `lab down`: stop every process the lab's pid files name (by PID only), remove the iptables
 * chains it added, check that no lab address still listens. Idempotent; works half-started.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { APISERVER_PORT, chainName, ETCD_CLIENT_PORT, ETCD_PEER_PORT, labPaths } from './layout.js';
import { removeChains } from './iptables.js';
import { listeners } from './listeners.js';
import { livePid, stopPid } from './proc.js';
import { readState } from './state.js';

export interface DownResult {
  stopped: Array<{ component: string; pid: number }>;
  chainsLeft: string[];
  listenersLeft: string[];
}

/** Every pid file of the lab: run/haproxy.pid and run/<master>/<unit|sshd>.pid. */
export function pidFiles(dir: string): Array<{ component: string; file: string }> {
  const run = labPaths(dir).run;
  if (!existsSync(run)) return [];
  const files: Array<{ component: string; file: string }> = [];
  for (const entry of readdirSync(run, { withFileTypes: true })) {
    const full = path.join(run, entry.name);
    if (entry.isFile() && entry.name.endsWith('.pid'))
      files.push({ component: entry.name.slice(0, -4), file: full });
    if (!entry.isDirectory()) continue;
    for (const f of readdirSync(full)) {
      if (f.endsWith('.pid'))
        files.push({ component: `${entry.name}/${f.slice(0, -4)}`, file: path.join(full, f) });
    }
  }
  return files;
}

/** Candidates first (while the API still answers their release), then the API, sshd, then etcd. */
function phase(component: string): number {
  if (/kube-(scheduler|controller-manager)$/.test(component)) return 0;
  if (/kube-apiserver$|^haproxy$/.test(component)) return 1;
  return /etcd$/.test(component) ? 3 : 2;
}

export async function labDown(
  dir: string,
  opts: { purge?: boolean; timeoutMs?: number } = {},
): Promise<DownResult> {
  const state = readState(dir);
  const stopped: DownResult['stopped'] = [];
  const files = pidFiles(dir);
  const stop = async ({ component, file }: { component: string; file: string }): Promise<void> => {
    const pid = livePid(file, dir);
    if (pid !== undefined) {
      await stopPid(pid, opts.timeoutMs ?? 10_000);
      stopped.push({ component, pid });
    }
    rmSync(file, { force: true });
  };
  for (const p of [0, 1, 2]) await Promise.all(files.filter((f) => phase(f.component) === p).map(stop));
  // etcd one member at a time: a leader stopped gracefully hands leadership to a live member at
  // once, but waits seconds for one that is stopping too
  for (const f of files.filter((f) => phase(f.component) === 3)) await stop(f);

  let chainsLeft: string[] = [];
  const masters = state?.masters ?? [];
  if (state?.options.root && process.getuid?.() === 0) {
    const chains = [...new Set([...(state.chains ?? []), ...masters.map((m) => chainName(m.octet))])];
    chainsLeft = removeChains(chains, dir);
  }

  let listenersLeft: string[] = [];
  // with nothing of ours stopped, a listener there belongs to another lab on the same addresses
  if (state && stopped.length > 0) {
    const addresses = [...masters.map((m) => m.address), state.options.lbIp];
    const ports = [state.options.sshPort, ETCD_CLIENT_PORT, ETCD_PEER_PORT, APISERVER_PORT];
    // a socket may outlive its process by a moment
    for (let i = 0; i < 20; i++) {
      listenersLeft = listeners(addresses, ports);
      if (listenersLeft.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (opts.purge) rmSync(dir, { recursive: true, force: true });
  return { stopped, chainsLeft, listenersLeft };
}
