/** Processes the lab starts itself (nspawn, HAProxy): detached, known by pid, stopped by pid only. */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { readProc } from './net.js';

/** Starts argv in a session of its own, output to `fd`; returns its pid. */
export function spawnDetached(argv: string[], fd: number, env: NodeJS.ProcessEnv = process.env): number {
  const [cmd, ...args] = argv as [string, ...string[]];
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return child.pid;
}

export function isAlive(pid: number): boolean {
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** SIGTERM, wait up to `timeoutMs`, then SIGKILL and wait again. True when it is gone. */
export async function stopPid(pid: number, timeoutMs: number): Promise<boolean> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  for (const [deadline, next] of [
    [timeoutMs, 'SIGKILL'],
    [5_000, undefined],
  ] as const) {
    const end = performance.now() + deadline;
    while (isAlive(pid) && performance.now() < end) await sleep(100);
    if (!isAlive(pid)) return true;
    if (next) signal(next);
  }
  return !isAlive(pid);
}
