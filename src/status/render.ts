/**
 * The status report as text: boxed tables in `etcdctl endpoint status -w table` style, then
 * notes and the verdict line; or as the versioned JSON document. Pure.
 */
import {
  formatSeconds,
  verdictLine,
  type ApiRow,
  type EtcdRow,
  type LeaseRow,
  type ProbeRow,
  type StatusReport,
} from './report.js';
import { switchLines } from './switches.js';

/** etcdctl's DB SIZE: SI units as go-humanize's Bytes prints them (`20 kB`, `1.5 MB`). */
export function humanBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.min(Math.floor(Math.log(n) / Math.log(1000)), units.length - 1);
  const val = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  // Go's %.0f rounds half to even: 20.5 → 20
  const whole =
    val - Math.trunc(val) === 0.5 && Math.trunc(val) % 2 === 0 ? Math.trunc(val) : Math.round(val);
  return `${val < 10 ? val.toFixed(1) : String(whole)} ${units[e]}`;
}

/** A table with a header row, boxed as etcdctl's tablewriter does. */
export function boxTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const line = (cells: readonly string[]) =>
    `|${widths.map((w, c) => ` ${(cells[c] ?? '').padEnd(w)} `).join('|')}|\n`;
  return rule + line(header) + rule + rows.map(line).join('') + rule;
}

const dash = (v: string | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : v);
const ms = (n: number): string => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;

export function etcdTable(rows: readonly EtcdRow[]): string {
  return boxTable(
    [
      'MASTER',
      'ENDPOINT',
      'ID',
      'VERSION',
      'DB SIZE',
      'IS LEADER',
      'IS LEARNER',
      'RAFT TERM',
      'RAFT INDEX',
      'RAFT APPLIED INDEX',
      'ERRORS',
    ],
    rows.map((r) => [
      r.master,
      r.endpoint,
      dash(r.id),
      dash(r.version),
      r.dbSize === null ? '-' : humanBytes(r.dbSize),
      r.ok ? String(r.isLeader) : '-',
      r.ok ? String(r.isLearner) : '-',
      dash(r.raftTerm),
      dash(r.raftIndex),
      dash(r.raftAppliedIndex),
      r.errors.join(', '),
    ]),
  );
}

function leaseState(r: LeaseRow): string {
  if (!r.read) return `unreadable: ${r.error ?? 'unknown error'}`;
  if (!r.exists) return 'missing';
  if (!r.holder) return 'no holder';
  return r.stale ? 'STALE' : 'ok';
}

export function leaseTable(rows: readonly LeaseRow[]): string {
  return boxTable(
    ['LEASE', 'HOLDER', 'MASTER', 'RENEWED', 'DURATION', 'TRANSITIONS', 'STATE'],
    rows.map((r) => [
      r.lease,
      dash(r.holder),
      r.holder ? (r.master ?? '(unknown)') : '-',
      r.renewAgeSeconds === null ? '-' : `${formatSeconds(r.renewAgeSeconds)} ago`,
      r.leaseDurationSeconds === null ? '-' : `${r.leaseDurationSeconds}s`,
      r.transitions === null ? '-' : String(r.transitions),
      leaseState(r),
    ]),
  );
}

function probeCell(p: ProbeRow): string {
  if (p.ok) return `ok (${ms(p.latencyMs)})`;
  if (p.status !== null) return `HTTP ${p.status} (${ms(p.latencyMs)})`;
  return p.error ?? 'failed';
}

export function apiTable(rows: readonly ApiRow[]): string {
  return boxTable(
    ['TARGET', 'URL', '/HEALTHZ', '/READYZ'],
    rows.map((r) => [r.target, r.url, probeCell(r.healthz), probeCell(r.readyz)]),
  );
}

/** The whole report for people. */
export function renderText(r: StatusReport): string {
  const leaseSource = r.leases.find((l) => l.source)?.source;
  return [
    `etcd members\n${etcdTable(r.etcd)}`,
    `Leases${leaseSource ? ` (read via ${leaseSource})` : ''}\n${leaseTable(r.leases)}`,
    `API servers\n${apiTable(r.api)}`,
    ...(r.switches
      ? [
          `Dead-man's switches (systemctl list-timers 'kha-drill-heal-*')\n${switchLines(r.switches).join('\n')}\n`,
        ]
      : []),
    ...r.notes.map((n) => `note: ${n}\n`),
    `${verdictLine(r)}\n`,
  ].join('\n');
}

/** The versioned JSON document (schemaVersion 1), pretty or one line (for --watch). */
export function renderJson(r: StatusReport, compact = false): string {
  // keys in a fixed order, whatever order the report was built in
  const doc = {
    schemaVersion: r.schemaVersion,
    cluster: r.cluster,
    checkedAt: r.checkedAt,
    timeoutMs: r.timeoutMs,
    healthy: r.healthy,
    problems: r.problems,
    notes: r.notes,
    etcd: r.etcd,
    leases: r.leases,
    api: r.api,
    switches: r.switches ?? null,
  };
  return `${JSON.stringify(doc, null, compact ? undefined : 2)}\n`;
}
