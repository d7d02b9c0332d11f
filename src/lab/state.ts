/** <dir>/lab.json: what `lab up` started, read by down, status, env and the shims. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { labPaths, type LabMaster, type LabOptions } from './layout.js';

export interface LabState {
  version: 1;
  options: LabOptions;
  masters: LabMaster[];
  createdAt: string;
  /** set once every component was ready */
  readyAt?: string;
  readyAfterMs?: number;
  /** pids at start, by component (`master-1/etcd`, `master-1/sshd`, `haproxy`); pid files are the truth */
  pids: Record<string, number>;
  /** iptables chains `lab up` created (and hooked from OUTPUT) */
  chains: string[];
}

export function readState(dir: string): LabState | undefined {
  const file = labPaths(dir).state;
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LabState;
}

export function writeState(dir: string, state: LabState): void {
  writeFileSync(labPaths(dir).state, JSON.stringify(state, null, 2) + '\n');
}
