/**
 * <dir>/lab.json: what `lab up` made, written before each thing is made, so that `lab down`
 * finds all of it even after a killed `lab up`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { labPaths, type LabHost, type LabOptions } from './layout.js';

export interface LabState {
  version: 2;
  options: LabOptions;
  masters: LabHost[];
  lb: LabHost;
  laptop: LabHost;
  switchNetns: string;
  /** the peer network (`lab up --peer-net`): its subnet and switch namespace (also in `netns`) */
  peerNet?: { subnet: string; switchNetns: string };
  /** namespaces this lab made (the laptop's is shared and not listed) */
  netns: string[];
  /** overlay mounts */
  mounts: string[];
  /** pids by host: master-1…, haproxy */
  pids: Record<string, number>;
  /** the binaries' folders and versions */
  binaries?: { kubernetes: string; kubernetesVersion: string; etcd: string; etcdVersion: string };
  createdAt: string;
  readyAt?: string;
  readyAfterMs?: number;
}

export function readState(dir: string): LabState | undefined {
  const file = labPaths(dir).state;
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LabState;
}

export function writeState(state: LabState): void {
  const file = labPaths(state.options.dir).state;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}
