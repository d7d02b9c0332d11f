/** `lab status`: every component per master (up/down, pid), etcd role and term, Lease holders. */
import { loadClientTls, type ClientTls } from './http.js';
import {
  APISERVER_PORT,
  apiserverUrl,
  etcdUrl,
  labPaths,
  loadBalancerUrl,
  pkiPaths,
  UNIT_NAMES,
  type UnitName,
} from './layout.js';
import { etcdStatus, leaseHolder, LEASES, readyz, type LeaseHolder } from './probes.js';
import { livePid } from './proc.js';
import { readState } from './state.js';
import { loadUnit, unitStatus, type UnitState } from './units.js';

export interface ProcessStatus {
  state: UnitState;
  pid?: number;
}

export interface MasterStatus {
  name: string;
  address: string;
  sshd: ProcessStatus;
  units: Record<UnitName, ProcessStatus>;
  etcd: { role: 'leader' | 'follower' | 'unavailable'; term?: string; index?: string; error?: string };
  apiserver: { ready: boolean; detail: string };
}

export interface LabStatus {
  dir: string;
  tls: boolean;
  masters: MasterStatus[];
  haproxy: ProcessStatus & { address: string; ready: boolean; detail: string };
  leases: LeaseHolder[];
}

function proc(pidFile: string, dir: string): ProcessStatus {
  const pid = livePid(pidFile, dir);
  return pid !== undefined ? { state: 'active', pid } : { state: 'inactive' };
}

/** undefined when there is no lab in `dir`. */
export async function labStatus(dir: string): Promise<LabStatus | undefined> {
  const state = readState(dir);
  if (!state) return undefined;
  const { options: opts, masters } = state;
  const p = labPaths(dir);
  const k = pkiPaths(dir);
  let tls: ClientTls | undefined;
  try {
    tls = opts.tls ? loadClientTls({ ca: k.ca, cert: k.adminCert, key: k.adminKey }) : undefined;
  } catch {
    tls = undefined;
  }
  const lb = loadBalancerUrl(opts);
  const [perMaster, lbReady, leases] = await Promise.all([
    Promise.all(
      masters.map(async (m): Promise<MasterStatus> => {
        const units = Object.fromEntries(
          UNIT_NAMES.map((u) => {
            const spec = loadUnit(dir, m.name, u);
            return [u, spec ? unitStatus(dir, spec) : { state: 'inactive' as const }];
          }),
        ) as Record<UnitName, ProcessStatus>;
        const [es, api] = await Promise.all([
          etcdStatus(etcdUrl(m, opts.tls), tls),
          readyz(apiserverUrl(m, opts.tls), tls),
        ]);
        const etcd: MasterStatus['etcd'] = {
          role: es.memberId ? (es.isLeader ? 'leader' : 'follower') : 'unavailable',
        };
        if (es.raftTerm) etcd.term = es.raftTerm;
        if (es.raftIndex) etcd.index = es.raftIndex;
        if (es.error) etcd.error = es.error;
        return {
          name: m.name,
          address: m.address,
          sshd: proc(p.sshdPid(m.name), dir),
          units,
          etcd,
          apiserver: { ready: api.ok, detail: api.detail },
        };
      }),
    ),
    readyz(lb, tls),
    Promise.all(LEASES.map((l) => leaseHolder(lb, l, tls))),
  ]);
  return {
    dir,
    tls: opts.tls,
    masters: perMaster,
    haproxy: {
      ...proc(p.haproxyPid, dir),
      address: `${opts.lbIp}:${APISERVER_PORT}`,
      ready: lbReady.ok,
      detail: lbReady.detail,
    },
    leases,
  };
}

function cell(s: ProcessStatus): string {
  return s.state === 'active' ? `up ${s.pid}` : s.state === 'failed' ? 'FAILED' : 'down';
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function formatStatus(s: LabStatus): string {
  const rows = [
    [
      'MASTER',
      'ADDRESS',
      'SSHD',
      'ETCD',
      'ROLE',
      'TERM',
      'INDEX',
      'APISERVER',
      'READYZ',
      'SCHEDULER',
      'CONTROLLER-MANAGER',
    ],
  ];
  for (const m of s.masters) {
    rows.push([
      m.name,
      m.address,
      cell(m.sshd),
      cell(m.units.etcd),
      m.etcd.role,
      m.etcd.term ?? '-',
      m.etcd.index ?? '-',
      cell(m.units['kube-apiserver']),
      m.apiserver.ready ? 'ok' : 'not ready',
      cell(m.units['kube-scheduler']),
      cell(m.units['kube-controller-manager']),
    ]);
  }
  let out = `lab ${s.dir} (${s.tls ? 'TLS' : 'plain HTTP'})\n` + table(rows);
  out += `haproxy ${s.haproxy.address}: ${cell(s.haproxy)}, /readyz ${s.haproxy.ready ? 'ok' : s.haproxy.detail}\n`;
  for (const l of s.leases) {
    const detail = l.holder
      ? `${l.holder} (transitions ${l.transitions ?? 0}, renewed ${l.renewTime ?? '?'})`
      : (l.error ?? 'no holder');
    out += `lease kube-system/${l.name}: ${detail}\n`;
  }
  return out;
}
