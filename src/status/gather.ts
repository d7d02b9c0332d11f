/**
 * Gathers one status report: every etcd member, every Lease and every health endpoint in
 * parallel, each call with the same deadline, so one dead or frozen part costs at most that
 * deadline and shows up as a row with its error. The I/O comes in through `StatusProbes`.
 */
import { errorMessage } from '../errors.js';
import type { MemberStatus } from '../clients/etcd.js';
import type { Lease } from '../clients/kube.js';
import type { ProbeResult } from '../clients/probe.js';
import { masterOfHolder } from '../kube/lease.js';
import { microTimeToEpochMs } from '../kube/microtime.js';
import {
  LOAD_BALANCER,
  STATUS_SCHEMA_VERSION,
  withVerdict,
  type ApiRow,
  type EtcdRow,
  type LeaseRow,
  type ProbeRow,
  type StatusReport,
} from './report.js';
import { switchNote, type SwitchRow } from './switches.js';

export interface StatusMaster {
  name: string;
  nodeName: string;
  etcd: string;
  apiserver: string;
}

/** What to look at. */
export interface StatusTarget {
  cluster: string;
  masters: StatusMaster[];
  loadBalancer: string;
  /** `<namespace>/<name>` */
  leases: string[];
  /** per-call deadline */
  timeoutMs: number;
}

/** The I/O: real clients in the command, fakes in tests. */
export interface StatusProbes {
  etcdStatus(master: StatusMaster, timeoutMs: number): Promise<MemberStatus>;
  /** GET `path` of an API server or the load balancer; never throws */
  probe(baseUrl: string, path: string, timeoutMs: number): Promise<ProbeResult>;
  /** the Lease, null when it does not exist; throws when the server cannot say */
  readLease(server: string, namespace: string, name: string, timeoutMs: number): Promise<Lease | null>;
  /** wall clock, epoch ms */
  now(): number;
  /** each master's armed dead-man's switches (SSH); absent: not looked at */
  armedSwitches?(): Promise<SwitchRow[]>;
}

export function etcdRow(master: StatusMaster, s: MemberStatus): EtcdRow {
  return {
    master: master.name,
    endpoint: master.etcd,
    ok: s.ok,
    id: s.id ?? null,
    version: s.version ?? null,
    dbSize: s.ok ? (s.dbSize ?? null) : null,
    isLeader: s.ok && s.id !== undefined && s.leader === s.id,
    isLearner: s.isLearner === true,
    leader: s.leader ?? null,
    raftTerm: s.term ?? null,
    raftIndex: s.ok ? (s.raftIndex ?? null) : null,
    raftAppliedIndex: s.ok ? (s.raftAppliedIndex ?? null) : null,
    errors: s.errors,
    latencyMs: round(s.latencyMs),
  };
}

export function leaseRow(
  ref: string,
  lease: Lease | null,
  source: string,
  masters: readonly StatusMaster[],
  nowMs: number,
): LeaseRow {
  const spec = lease?.spec ?? {};
  const holder = spec.holderIdentity ? spec.holderIdentity : null;
  const renewed = spec.renewTime ? microTimeToEpochMs(String(spec.renewTime)) : Number.NaN;
  const age = Number.isFinite(renewed) ? Math.max(0, (nowMs - renewed) / 1000) : null;
  const duration = typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : null;
  return {
    lease: ref,
    read: true,
    exists: lease !== null,
    holder,
    master: masterOfHolder(holder, masters),
    renewAgeSeconds: age === null ? null : Math.round(age * 10) / 10,
    leaseDurationSeconds: duration,
    stale: holder !== null && age !== null && duration !== null && age > duration,
    transitions: typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : null,
    renewTime: spec.renewTime ? String(spec.renewTime) : null,
    source,
    error: null,
  };
}

function unreadable(ref: string, error: string): LeaseRow {
  return {
    lease: ref,
    read: false,
    exists: false,
    holder: null,
    master: null,
    renewAgeSeconds: null,
    leaseDurationSeconds: null,
    stale: false,
    transitions: null,
    renewTime: null,
    source: null,
    error,
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

function probeRow(p: ProbeResult): ProbeRow {
  return { ok: p.ok, status: p.status ?? null, latencyMs: round(p.latencyMs), error: p.error ?? null };
}

async function apiRow(probes: StatusProbes, target: string, url: string, timeoutMs: number): Promise<ApiRow> {
  const [healthz, readyz] = await Promise.all([
    probes.probe(url, '/healthz', timeoutMs),
    probes.probe(url, '/readyz', timeoutMs),
  ]);
  return { target, url, healthz: probeRow(healthz), readyz: probeRow(readyz) };
}

type LeaseRead = { ok: true; leases: (Lease | null)[] } | { ok: false; error: string };

/**
 * Every Lease through the load balancer and, at the same time, through each master's API
 * server: the load balancer's answer is used when it has one, else the first master's (in
 * inventory order) that answered. Asking all at once keeps the whole read within one deadline.
 */
async function readLeases(
  probes: StatusProbes,
  t: StatusTarget,
  notes: string[],
): Promise<{ rows: LeaseRow[]; nowMs: number }> {
  const refs = t.leases.map((ref) => {
    const [namespace = '', name = ''] = ref.split('/');
    return { ref, namespace, name };
  });
  const readAll = async (server: string): Promise<LeaseRead> => {
    try {
      return {
        ok: true,
        leases: await Promise.all(
          refs.map((r) => probes.readLease(server, r.namespace, r.name, t.timeoutMs)),
        ),
      };
    } catch (err) {
      return { ok: false, error: errorMessage(err) };
    }
  };
  const servers = [
    { source: LOAD_BALANCER, url: t.loadBalancer },
    ...t.masters.map((m) => ({ source: m.name, url: m.apiserver })),
  ];
  const reads = await Promise.all(servers.map((s) => readAll(s.url)));
  const nowMs = probes.now();
  const lb = reads[0];
  const used = reads.findIndex((r) => r.ok);
  if (used < 0) {
    const why = lb && !lb.ok ? lb.error : 'no server answered';
    return {
      rows: refs.map((r) =>
        unreadable(r.ref, `load balancer and every API server failed; load balancer: ${why}`),
      ),
      nowMs,
    };
  }
  const chosen = reads[used] as { ok: true; leases: (Lease | null)[] };
  const source = servers[used]!.source;
  if (used > 0 && lb && !lb.ok) {
    notes.push(`Leases read from ${source}'s API server: the load balancer failed (${lb.error})`);
  }
  return {
    rows: refs.map((r, i) => leaseRow(r.ref, chosen.leases[i] ?? null, source, t.masters, nowMs)),
    nowMs,
  };
}

export async function gatherStatus(t: StatusTarget, probes: StatusProbes): Promise<StatusReport> {
  const checkedAt = new Date(probes.now()).toISOString();
  const notes: string[] = [];
  const [etcd, leases, api, switches] = await Promise.all([
    Promise.all(t.masters.map(async (m) => etcdRow(m, await probes.etcdStatus(m, t.timeoutMs)))),
    readLeases(probes, t, notes),
    Promise.all([
      ...t.masters.map((m) => apiRow(probes, m.name, m.apiserver, t.timeoutMs)),
      apiRow(probes, LOAD_BALANCER, t.loadBalancer, t.timeoutMs),
    ]),
    probes.armedSwitches ? probes.armedSwitches() : Promise.resolve(null),
  ]);
  for (const l of leases.rows) {
    if (l.holder && !l.master)
      notes.push(`Lease ${l.lease} holder '${l.holder}' matches no master's nodeName (<nodeName>_<uuid>)`);
  }
  const armed = switches && switchNote(switches);
  if (armed) notes.push(armed);
  return withVerdict({
    schemaVersion: STATUS_SCHEMA_VERSION,
    cluster: t.cluster,
    checkedAt,
    timeoutMs: t.timeoutMs,
    etcd,
    leases: leases.rows,
    api,
    switches,
    notes,
  });
}
