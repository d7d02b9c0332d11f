/**
 * The runbook, done by hand: once a second, `etcdctl endpoint status -w json` and
 * `kubectl get lease … -o json`, as an operator following the runbook would. Each answer keeps
 * the wall-clock time its command started and the time its output was complete: the operator sees
 * a change at the latter. Parsing and change detection are pure; `RunbookObserver` runs the
 * commands.
 */
import { execFile } from 'node:child_process';

export interface EtcdMemberStatus {
  endpoint: string;
  /** decimal strings: etcdctl prints 64-bit ids as JSON numbers, which JavaScript would round */
  memberId: string;
  leader: string;
  term: bigint;
}

export interface EtcdSample {
  /** epoch ms when the command was started */
  at: number;
  /** epoch ms when its answer was complete */
  done: number;
  members: EtcdMemberStatus[];
}

export interface LeaseSample {
  at: number;
  done: number;
  /** null when the command failed */
  holder: string | null;
}

/** Quotes every integer of 16+ digits so that JSON.parse keeps 64-bit values exact. */
const quoteBig = (text: string) => text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"');

/** The members `etcdctl endpoint status -w json` answered for (unreachable ones are absent). */
export function parseEtcdctlStatus(stdout: string): EtcdMemberStatus[] {
  const start = stdout.indexOf('[');
  if (start < 0) return [];
  let rows: unknown;
  try {
    rows = JSON.parse(quoteBig(stdout.slice(start)));
  } catch {
    return [];
  }
  if (!Array.isArray(rows)) return [];
  const out: EtcdMemberStatus[] = [];
  for (const row of rows as { Endpoint?: unknown; Status?: Record<string, unknown> }[]) {
    const s = row.Status;
    const header = s?.header as Record<string, unknown> | undefined;
    if (!s || !header || s.leader === undefined || s.raftTerm === undefined) continue;
    out.push({
      endpoint: String(row.Endpoint),
      memberId: String(header.member_id),
      leader: String(s.leader),
      term: BigInt(String(s.raftTerm)),
    });
  }
  return out;
}

/** spec.holderIdentity from `kubectl get lease -o json` ("" when released); null if unreadable. */
export function parseKubectlLease(stdout: string): string | null {
  try {
    const j = JSON.parse(stdout) as { spec?: { holderIdentity?: unknown } };
    if (!j.spec) return null;
    return typeof j.spec.holderIdentity === 'string' ? j.spec.holderIdentity : '';
  } catch {
    return null;
  }
}

export interface Seen {
  /** epoch ms the poll that first showed the change was started */
  at: number;
  /** epoch ms its output was complete: when the operator sees the change */
  done: number;
  what: string;
}

/** What the polls show as the leader: the leader reported at the highest term. */
function leaderOf(s: EtcdSample): { leader: string; term: bigint } | null {
  let best: { leader: string; term: bigint } | null = null;
  for (const m of s.members)
    if (m.leader !== '0' && (best === null || m.term > best.term)) best = { leader: m.leader, term: m.term };
  return best;
}

/**
 * The first poll after the fault started (`faultMs`) that shows a leader other than the one of
 * the last poll before the fault, at a higher term.
 */
export function firstRaftChange(samples: readonly EtcdSample[], faultMs: number): Seen | string {
  const pre = samples
    .filter((s) => s.done <= faultMs)
    .map(leaderOf)
    .filter((x) => x !== null)
    .pop();
  if (!pre) return 'the observer saw no leader before the fault';
  for (const s of samples) {
    if (s.at < faultMs) continue;
    const now = leaderOf(s);
    if (now && now.term > pre.term && now.leader !== pre.leader)
      return { at: s.at, done: s.done, what: `leader ${pre.leader}@${pre.term} → ${now.leader}@${now.term}` };
  }
  return 'the observer saw no new leader';
}

/** The first poll after the fault that shows a holder other than the one before it (not ""). */
export function firstLeaseChange(samples: readonly LeaseSample[], faultMs: number): Seen | string {
  const pre = samples.filter((s) => s.done <= faultMs && s.holder).pop();
  if (!pre) return 'the observer saw no holder before the fault';
  for (const s of samples) {
    if (s.at < faultMs) continue;
    if (s.holder && s.holder !== pre.holder)
      return { at: s.at, done: s.done, what: `holder ${pre.holder} → ${s.holder}` };
  }
  return 'the observer saw no new holder';
}

export interface ObserverOptions {
  etcdEndpoints: string[];
  kubeconfig: string;
  lease: { namespace: string; name: string };
  periodMs?: number;
  /** extra environment (ETCDCTL_* for TLS labs) */
  env?: NodeJS.ProcessEnv;
  etcdctl?: string;
  kubectl?: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 5000, maxBuffer: 1 << 20 }, (_err, stdout) => resolve(stdout));
  });
}

/** Polls etcd and the Lease once a second (start to start), skipping a tick while a poll runs. */
export class RunbookObserver {
  readonly etcd: EtcdSample[] = [];
  readonly lease: LeaseSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busyEtcd = false;
  private busyLease = false;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly opts: ObserverOptions) {}

  start(): this {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.opts.periodMs ?? 1000);
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private tick(): void {
    const env = { ...process.env, ...this.opts.env };
    // etcdctl would otherwise also read ETCDCTL_ENDPOINTS and complain about the duplicate
    delete env.ETCDCTL_ENDPOINTS;
    if (!this.busyEtcd) {
      this.busyEtcd = true;
      const at = Date.now();
      this.track(
        run(
          this.opts.etcdctl ?? 'etcdctl',
          [
            `--endpoints=${this.opts.etcdEndpoints.join(',')}`,
            '--command-timeout=900ms',
            '--dial-timeout=500ms',
            'endpoint',
            'status',
            '-w',
            'json',
          ],
          env,
        ).then((out) => {
          this.etcd.push({ at, done: Date.now(), members: parseEtcdctlStatus(out) });
          this.busyEtcd = false;
        }),
      );
    }
    if (!this.busyLease) {
      this.busyLease = true;
      const at = Date.now();
      const { namespace, name } = this.opts.lease;
      this.track(
        run(
          this.opts.kubectl ?? 'kubectl',
          [
            '--kubeconfig',
            this.opts.kubeconfig,
            '--request-timeout=900ms',
            'get',
            'lease',
            name,
            '-n',
            namespace,
            '-o',
            'json',
          ],
          env,
        ).then((out) => {
          this.lease.push({ at, done: Date.now(), holder: parseKubectlLease(out) });
          this.busyLease = false;
        }),
      );
    }
  }
}
