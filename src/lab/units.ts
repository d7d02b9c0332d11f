/**
 * The lab's "systemd units": one JSON file per master and unit (<dir>/units/<master>/<unit>.json)
 * saying how to run it. `lab up` and the per-master `systemctl` shim both drive them through
 * these functions, so a unit started over SSH is the same as one started by `lab up`.
 */
import path from 'node:path';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { labPaths, UNIT_NAMES, type UnitName } from './layout.js';
import { isAlive, livePid, readPid, sendSignal, spawnDetached, stopPid } from './proc.js';

export interface UnitSpec {
  unit: UnitName;
  master: string;
  description: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number | undefined;
  /** directories handed to the unit's uid before each start (data dir, log dir) */
  ownDirs: string[];
  logFile: string;
  pidFile: string;
}

export type UnitState = 'active' | 'inactive' | 'failed';

/** `kube-scheduler.service` → `kube-scheduler`; undefined for names that are not lab units. */
export function unitName(arg: string): UnitName | undefined {
  const name = arg.endsWith('.service') ? arg.slice(0, -'.service'.length) : arg;
  return (UNIT_NAMES as readonly string[]).includes(name) ? (name as UnitName) : undefined;
}

export function writeUnit(dir: string, spec: UnitSpec): void {
  const p = labPaths(dir);
  mkdirSync(p.masterUnits(spec.master), { recursive: true });
  writeFileSync(p.unitFile(spec.master, spec.unit), JSON.stringify(spec, null, 2) + '\n');
}

export function loadUnit(dir: string, master: string, unit: UnitName): UnitSpec | undefined {
  const file = labPaths(dir).unitFile(master, unit);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as UnitSpec;
}

export function unitStatus(dir: string, spec: UnitSpec): { state: UnitState; pid?: number } {
  const pid = livePid(spec.pidFile, dir);
  if (pid !== undefined) return { state: 'active', pid };
  // a pid file without its process: the unit died without being stopped (crash, kill -9)
  return { state: readPid(spec.pidFile) !== undefined ? 'failed' : 'inactive' };
}

export function startUnit(dir: string, spec: UnitSpec): number {
  const running = livePid(spec.pidFile, dir);
  if (running !== undefined) return running;
  for (const d of spec.ownDirs) {
    // parents traversable by the unit's uid, the directory itself private to it
    mkdirSync(path.dirname(d), { recursive: true, mode: 0o755 });
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (spec.uid !== undefined) chownSync(d, spec.uid, spec.uid);
  }
  return spawnDetached({
    argv: spec.argv,
    env: { ...spec.env, KHA_LAB_DIR: dir, KHA_LAB_MASTER: spec.master, KHA_LAB_UNIT: spec.unit },
    cwd: spec.cwd,
    logFile: spec.logFile,
    pidFile: spec.pidFile,
    uid: spec.uid,
    gid: spec.uid,
  });
}

/** SIGTERM, up to `timeoutMs` (systemd's stop timeout), then SIGKILL; the unit is then inactive. */
export async function stopUnit(dir: string, spec: UnitSpec, timeoutMs = 10_000): Promise<void> {
  const pid = livePid(spec.pidFile, dir);
  if (pid !== undefined) await stopPid(pid, timeoutMs);
  rmSync(spec.pidFile, { force: true });
}

/** Sends a signal to the unit's main process; false when it has none. */
export function killUnit(dir: string, spec: UnitSpec, sig: NodeJS.Signals): boolean {
  const pid = livePid(spec.pidFile, dir);
  if (pid === undefined || !isAlive(pid)) return false;
  sendSignal(pid, sig);
  return true;
}
