/**
 * Journal text as `journalctl -u <unit> -o json` prints it on a lab master, built from instants:
 * the bench's tests replay recorded runs through the ground-truth parsers with it.
 */

/** One `-o json` line; `realtimeMs` may carry microseconds as its fraction. */
export function journalLine(realtimeMs: number, pid: number, message: string): string {
  return JSON.stringify({
    __REALTIME_TIMESTAMP: String(Math.round(realtimeMs * 1000)),
    _PID: String(pid),
    MESSAGE: message,
  });
}

const two = (n: number) => String(n).padStart(2, '0');

/** A klog header (`I1124 12:55:14.982375 <pid> <file>] `) at `ms`, rounded to the microsecond. */
export function klogHeader(ms: number, pid: number, file = 'leaderelection.go:272'): string {
  const us = Math.round(ms * 1000);
  const d = new Date(Math.floor(us / 1000));
  const frac = String(us % 1_000_000).padStart(6, '0');
  return `I${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${frac} ${String(pid).padStart(7)} ${file}] `;
}

/** client-go 1.37's structured leader-election line, as the component logs it at `ms`. */
export function leaseJournalLine(
  ms: number,
  pid: number,
  what: 'Successfully acquired lease' | 'Successfully renewed lease',
  lease = 'kube-system/kube-scheduler',
): string {
  return journalLine(ms + 0.3, pid, `${klogHeader(ms, pid)}"${what}" lock="${lease}"`);
}

/** etcd's zap "elected leader" line at `ms` (zap keeps milliseconds). */
export function electedJournalLine(ms: number, member: string, leader: string, term: number): string {
  const zap = JSON.stringify({
    level: 'info',
    ts: new Date(Math.floor(ms)).toISOString(),
    logger: 'raft',
    caller: 'v3@v3.6.0/node.go:370',
    msg: `raft.node: ${member} elected leader ${leader} at term ${term}`,
  });
  return journalLine(ms + 0.02, 100, zap);
}

/** systemd's own line about a unit (PID 1 in the master's container). */
export function systemdJournalLine(ms: number, message: string): string {
  return journalLine(ms, 1, message);
}
