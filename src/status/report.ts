/**
 * The status report: what `kha-drill status` saw of the control plane at one moment, as plain
 * data (also its --json form, schemaVersion 1), and the verdict on it. Pure: no I/O, no clock.
 * 64-bit etcd values stay decimal strings; member ids are hex as etcdctl prints them.
 */

import type { SwitchRow } from './switches.js';
import { gatewayRefusesCertUser } from '../clients/etcd-access.js';

export const STATUS_SCHEMA_VERSION = 1;

/** One etcd member, as `etcdctl endpoint status` shows it, plus which master it is. */
export interface EtcdRow {
  master: string;
  endpoint: string;
  /** the member answered (it may still report errors) */
  ok: boolean;
  /** hex member id */
  id: string | null;
  version: string | null;
  /** bytes */
  dbSize: number | null;
  isLeader: boolean;
  isLearner: boolean;
  /** hex id of the leader this member knows, null without one */
  leader: string | null;
  /** decimal strings (64-bit) */
  raftTerm: string | null;
  raftIndex: string | null;
  raftAppliedIndex: string | null;
  /** errors the member reported, or why it did not answer */
  errors: string[];
  latencyMs: number;
}

/** One Lease, read through the load balancer or, when that failed, a master's API server. */
export interface LeaseRow {
  /** `<namespace>/<name>` */
  lease: string;
  /** false when it could not be read (see error) */
  read: boolean;
  /** the Lease exists */
  exists: boolean;
  holder: string | null;
  /** the master whose nodeName prefixes the holder identity */
  master: string | null;
  /** seconds since renewTime on this machine's clock, null without a renewTime */
  renewAgeSeconds: number | null;
  leaseDurationSeconds: number | null;
  /** renewed longer ago than its duration */
  stale: boolean;
  transitions: number | null;
  renewTime: string | null;
  /** where it was read: `load-balancer` or a master's name */
  source: string | null;
  error: string | null;
}

export interface ProbeRow {
  ok: boolean;
  /** HTTP status, null when there was no answer */
  status: number | null;
  latencyMs: number;
  error: string | null;
}

/** /healthz and /readyz of one API server or of the load balancer. */
export interface ApiRow {
  /** a master's name, or `load-balancer` */
  target: string;
  url: string;
  healthz: ProbeRow;
  readyz: ProbeRow;
}

export interface StatusReport {
  schemaVersion: typeof STATUS_SCHEMA_VERSION;
  /** the inventory's metadata.name */
  cluster: string;
  /** ISO time the checks started */
  checkedAt: string;
  /** per-call deadline */
  timeoutMs: number;
  etcd: EtcdRow[];
  leases: LeaseRow[];
  api: ApiRow[];
  /**
   * the dead-man's switches armed on each master (over SSH); null or absent when not looked at
   * (`--no-switches`). Never part of the verdict: a master that cannot be asked says why.
   */
  switches?: SwitchRow[] | null;
  /** things worth knowing that are not problems (e.g. Leases read around a failed load balancer) */
  notes: string[];
  healthy: boolean;
  problems: string[];
}

export const LOAD_BALANCER = 'load-balancer';

/** The report's parts before the verdict. */
export type Observations = Omit<StatusReport, 'healthy' | 'problems'>;

/** Everything that is not steady state, in table order: etcd, Leases, API. */
export function findProblems(o: Pick<Observations, 'etcd' | 'leases' | 'api'>): string[] {
  return [...etcdProblems(o.etcd), ...leaseProblems(o.leases), ...apiProblems(o.api)];
}

export function withVerdict(o: Observations): StatusReport {
  const problems = findProblems(o);
  return { ...o, healthy: problems.length === 0, problems };
}

/** `healthy` or `not healthy: a; b; c`. */
export function verdictLine(r: Pick<StatusReport, 'problems'>): string {
  return r.problems.length === 0 ? 'healthy' : `not healthy: ${r.problems.join('; ')}`;
}

function etcdProblems(rows: readonly EtcdRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    // etcd auth on and the JSON gateway asked: a setting to change, not a member down
    if (!r.ok && r.errors.some(gatewayRefusesCertUser))
      out.push(`etcd ${r.master} refuses the JSON gateway (etcd auth on: set etcd.transport: grpc)`);
    else if (!r.ok) out.push(`etcd ${r.master} unreachable`);
    else if (r.errors.length) out.push(`etcd ${r.master}: ${r.errors.join(', ')}`);
  }
  const answering = rows.filter((r) => r.ok);
  if (!answering.length) return out;
  const leaders = new Set(answering.map((r) => r.leader));
  const leaderRows = answering.filter((r) => r.isLeader);
  if (leaders.size > 1) out.push('etcd members disagree on the leader');
  else if (!leaderRows.length) {
    const known = answering[0]?.leader;
    out.push(known ? `etcd leader ${known} is not among the members that answered` : 'etcd has no leader');
  }
  const quorum = Math.floor(rows.length / 2) + 1;
  if (answering.length < quorum)
    out.push(`etcd quorum lost: ${answering.length} of ${rows.length} members answer`);
  return out;
}

function leaseProblems(rows: readonly LeaseRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (!r.read) out.push(`Lease ${r.lease} unreadable${r.error ? ` (${r.error})` : ''}`);
    else if (!r.exists) out.push(`Lease ${r.lease} does not exist`);
    else if (!r.holder) out.push(`Lease ${r.lease} has no holder`);
    else if (r.stale)
      out.push(
        `Lease ${r.lease} stale: renewed ${formatSeconds(r.renewAgeSeconds)} ago, duration ${r.leaseDurationSeconds ?? '?'}s`,
      );
  }
  return out;
}

function apiProblems(rows: readonly ApiRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const who = r.target === LOAD_BALANCER ? 'load balancer' : `kube-apiserver ${r.target}`;
    if (r.healthz.status === null && r.readyz.status === null && !r.healthz.ok && !r.readyz.ok)
      out.push(`${who} unreachable`);
    else if (!r.healthz.ok) out.push(`${who} not healthy`);
    else if (!r.readyz.ok) out.push(`${who} not ready`);
  }
  return out;
}

/** `3.2s`, `?` when unknown. */
export function formatSeconds(s: number | null): string {
  return s === null ? '?' : `${s.toFixed(1)}s`;
}
