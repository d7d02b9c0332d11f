/**
 * The lab's processes: started detached in their own session with output appended to a log,
 * known by a pid file, stopped by PID only (SIGTERM, a wait as systemd does, then SIGKILL).
 * A pid counts as the lab's only while /proc/<pid>/environ carries KHA_LAB_DIR=<dir>, so a
 * recycled pid is never signalled.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
  pidFile: string;
  uid?: number | undefined;
  gid?: number | undefined;
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** R, S, D, T, Z… from /proc/<pid>/stat; undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name is in parentheses and may itself contain spaces or parentheses
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (nothing may reap orphans in a container). */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/**
 * Alive and started for the lab at `dir`: its environment carries KHA_LAB_DIR=<dir>, or (for
 * sshd, whose process title overwrites the environment) its command line names the dir.
 */
export function isLabProcess(pid: number, dir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    if (environ.includes(`KHA_LAB_DIR=${dir}`)) return true;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${dir}/`);
  } catch {
    // not ours to read: not ours to signal either
    return false;
  }
}

/** The pid in `pidFile` when that process is alive and the lab's. */
export function livePid(pidFile: string, dir: string): number | undefined {
  const pid = readPid(pidFile);
  return pid !== undefined && isLabProcess(pid, dir) ? pid : undefined;
}

/** Starts a process in its own session, detached from ours; returns its pid. */
export function spawnDetached(spec: SpawnSpec): number {
  mkdirSync(path.dirname(spec.logFile), { recursive: true });
  mkdirSync(path.dirname(spec.pidFile), { recursive: true });
  const log = openSync(spec.logFile, 'a');
  try {
    const [cmd, ...args] = spec.argv;
    if (cmd === undefined) throw new Error('empty command');
    const child = spawn(cmd, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', log, log],
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    });
    child.on('error', () => undefined);
    if (child.pid === undefined)
      throw new Error(`cannot start ${cmd} (not found, or not executable by its user)`);
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * SIGTERM (plus SIGCONT, so that a frozen process gets it), wait up to `timeoutMs`, then
 * SIGKILL. Returns how it ended.
 */
export async function stopPid(pid: number, timeoutMs = 10_000): Promise<'exited' | 'killed' | 'gone'> {
  if (!isAlive(pid)) return 'gone';
  signal(pid, 'SIGTERM');
  signal(pid, 'SIGCONT');
  if (await waitGone(pid, timeoutMs)) return 'exited';
  signal(pid, 'SIGKILL');
  await waitGone(pid, 5_000);
  return 'killed';
}

/** Stops the lab process named by `pidFile` (if any) and removes the pid file. */
export async function stopPidFile(
  pidFile: string,
  dir: string,
  timeoutMs = 10_000,
): Promise<number | undefined> {
  const pid = livePid(pidFile, dir);
  if (pid !== undefined) await stopPid(pid, timeoutMs);
  rmSync(pidFile, { force: true });
  return pid;
}

export function sendSignal(pid: number, sig: NodeJS.Signals): void {
  process.kill(pid, sig);
}

/** Last `lines` lines of a log file ('' when there is none). */
export function tail(file: string, lines = 20): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
