/** Shapes shared by the engine's parts: live state, rendered steps, undo records. */
import type { ComponentName, Condition, Inventory, Master } from '../config/schema.js';
import { KhaError } from '../errors.js';
import type { PeerAddresses } from './peers.js';
import type { ClockSample } from './fault/clock-offset.js';

/** One etcd member as a status call saw it (read-only view for targets and conditions). */
export interface MemberState {
  master: string;
  ok: boolean;
  /** hex member id */
  id?: string;
  /** hex id of the leader this member knows */
  leader?: string;
  term?: string;
  raftIndex?: string;
  error?: string;
}

/** etcd's own membership (its member list), for the quorum guardrail. */
export interface EtcdMembership {
  /** voting members in etcd's member list (learners do not count towards quorum) */
  voters: number;
  /**
   * voting members that do not answer: the inventory master's name, or
   * `etcd member <name> (<hex id>)` for a member the inventory does not list
   */
  down: string[];
}

export interface LeaseState {
  /** `<ns>/<name>` */
  lease: string;
  holder: string | null;
  /** master whose nodeName prefixes the holder identity */
  master: string | null;
  transitions: number | null;
  renewTime: string | null;
  leaseDurationSeconds: number | null;
  resourceVersion: string;
}

export interface HealthState {
  ok: boolean;
  error?: string;
}

/** Read-only looks at the cluster: what targets and conditions are resolved against. */
export interface ClusterView {
  etcd(): Promise<MemberState[]>;
  /** etcd's member list and which voters answer; absent where only the inventory is known */
  etcdMembership?(): Promise<EtcdMembership>;
  /** null when the Lease does not exist */
  lease(ref: string): Promise<LeaseState | null>;
  apiserver(master: Master): Promise<HealthState>;
  loadBalancer(): Promise<HealthState>;
  /**
   * Throws a KhaError (E_KUBE_AUTH, E_KUBECONFIG) when the credential is refused or lacks a right
   * the watchers need on these Leases (get, list, watch); other failures are left to the checks.
   */
  checkLeaseAccess?(refs: readonly string[]): Promise<void>;
  /**
   * Throws E_ETCD_AUTH (exit 3) when etcd refuses the etcd user a put, count or delete under the
   * write probe's prefix (`runId` names the one key it tries); other failures are left to the checks.
   */
  checkEtcdWriteAccess?(runId: string): Promise<void>;
  /** The etcd user the client certificate stands for (its CN), for messages. */
  etcdUser?(): string | undefined;
  /**
   * Each master's peer addresses from etcd's member list, names resolved: what partition and
   * heal cut. Fakes may leave it out; partition then falls back to the inventory host.
   */
  peers?(): Promise<PeerAddresses>;
}

/** Runs commands on masters (SSH in production, a fake in tests). */
export interface Remote {
  /** opens (or reuses) the connection; throws naming host and reason */
  connect(master: Master): Promise<void>;
  exec(master: Master, command: string, options?: { timeoutS?: number }): Promise<RemoteResult>;
  /**
   * Opens one channel through each SSH tunnel of the inventory (reach: ssh-tunnel,
   * kubernetes.loadBalancerVia); resolves with a line per one that cannot open.
   */
  tunnelFailures?(): Promise<string[]>;
  /**
   * `n` readings of the master's clock over one open channel, each between two `now()`s; where
   * absent, the clock is read by one `exec` per reading (whose round trip is wider)
   */
  readClock?(master: Master, n: number, now: () => number): Promise<ClockSample[]>;
  close(): Promise<void>;
}

export interface RemoteResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

/** What an action does to a component, for guardrails. */
export type Effect =
  | { kind: 'down'; master: string; component: ComponentName }
  | { kind: 'up'; master: string; component: ComponentName }
  | { kind: 'isolate'; master: string }
  | { kind: 'heal'; master: string };

/**
 * How to put back what an inject changed: journaled before the inject runs, replayed by
 * restore or `kha-drill recover`. Commands are complete (quoted) shell text, so a replay needs
 * nothing but the inventory to reach the master.
 */
export interface UndoSpec {
  /** unique in the run: `<step index>.<n>` */
  id: string;
  master: string;
  description: string;
  /** run in order; each must exit 0 */
  commands: string[];
  /** exits 0 once the undo took effect */
  verify?: string;
  /** the dead-man's switch armed on the master for this undo (transient systemd timer) */
  switch?: { unit: string; ttlS: number; armedAt?: string };
  /** the copy of this record on the master (master-journal.ts), when one was written */
  copy?: string;
  /**
   * absent: the undo of an inject step. `restore`: one of the drill's own restore steps;
   * `as-found`: the check that what ran before the drill runs again (restore-journal.ts)
   */
  stage?: 'restore' | 'as-found';
}

export interface RemoteOp {
  master: string;
  command: string;
}

/** A step as it will run: resolved targets, exact commands, undo. */
export interface RenderedStep {
  action: string;
  /** one line, e.g. "stop kube-scheduler on master-2" */
  summary: string;
  targets: string[];
  ops: RemoteOp[];
  undo: UndoSpec[];
  effects: Effect[];
  /** local steps */
  wait?: { seconds: number };
  waitFor?: { condition: Condition; timeoutS: number };
}

export interface RenderContext {
  inventory: Inventory;
  runId: string;
  /** index of the step in its list, for undo ids */
  index: number;
  phase: 'inject' | 'restore';
  /** master → the IP addresses partition and heal cut (etcd's member list, resolved once) */
  peers?: PeerAddresses;
}

export function masterByName(inventory: Inventory, name: string): Master {
  const m = inventory.masters.find((x) => x.name === name);
  if (!m) throw new KhaError('E_NO_MASTER', `no master named ${name} in the inventory`);
  return m;
}
