/**
 * Ground truth from the real components' own logs, as journald keeps them on each master: etcd's
 * zap "elected leader … at term N", the klog lines of the scheduler and controller-manager taking
 * or losing their Lease, and systemd's records of each unit stopping, dying and starting. Pure:
 * the command to read them, and parsers of its output (the tests and the bench run it over SSH).
 * All hosts share this machine's clock, so these times compare with the laptop's wall clock.
 */

/** `journalctl` of one unit as JSON lines, from a wall time on (ms since the epoch). */
export function journalCommand(unit: string, sinceMs?: number): string {
  const since = sinceMs === undefined ? '' : ` --since @${(Math.floor(sinceMs) / 1000).toFixed(3)}`;
  return `journalctl -u ${unit} -o json --no-pager --output-fields=MESSAGE,_PID,_COMM,_SOURCE_REALTIME_TIMESTAMP${since}`;
}

export interface JournalEntry {
  /** when journald received the line, µs since the epoch */
  realtimeUs: number;
  /**
   * when the sender stamped it (_SOURCE_REALTIME_TIMESTAMP, µs), where it did: systemd does, so its
   * records of a unit are its own time, not journald's receipt (5.6 ms later on a loaded lab)
   */
  sourceUs?: number;
  message: string;
  pid: number | undefined;
  /** true for systemd's own lines about the unit (PID 1) */
  systemd: boolean;
}

export function parseJournal(text: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as {
        __REALTIME_TIMESTAMP?: string;
        _SOURCE_REALTIME_TIMESTAMP?: string;
        MESSAGE?: unknown;
        _PID?: string;
      };
      // journald sends a MESSAGE it cannot show as text as an array of bytes
      const message = Array.isArray(j.MESSAGE)
        ? Buffer.from(j.MESSAGE as number[]).toString('utf8')
        : String(j.MESSAGE ?? '');
      const pid = j._PID === undefined ? undefined : Number(j._PID);
      const e: JournalEntry = {
        realtimeUs: Number(j.__REALTIME_TIMESTAMP),
        message,
        pid,
        systemd: pid === 1,
      };
      if (j._SOURCE_REALTIME_TIMESTAMP) e.sourceUs = Number(j._SOURCE_REALTIME_TIMESTAMP);
      out.push(e);
    } catch {
      // a torn line
    }
  }
  return out;
}

export interface Election {
  /** etcd's own zap timestamp, ms since the epoch */
  tsMs: number;
  member: string;
  leader: string;
  term: number;
}

/** etcd's "elected leader" lines (zap JSON in the message). */
export function elections(entries: JournalEntry[]): Election[] {
  const out: Election[] = [];
  for (const e of entries) {
    if (!e.message.includes('elected leader')) continue;
    try {
      const z = JSON.parse(e.message) as { ts: string; msg: string };
      const m = /raft\.node: (\w+) elected leader (\w+) at term (\d+)/.exec(z.msg);
      if (m)
        out.push({
          tsMs: Date.parse(z.ts),
          member: m[1] as string,
          leader: m[2] as string,
          term: Number(m[3]),
        });
    } catch {
      // not zap JSON
    }
  }
  return out;
}

/**
 * A klog header's time (`I1204 21:12:00.123456 …`), in µs since the epoch. klog prints no year:
 * it is taken from journald's receipt time, which follows within moments.
 */
export function klogTimeUs(message: string, receivedUs: number): number | undefined {
  const m = /^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(message);
  if (!m) return undefined;
  const year = new Date(receivedUs / 1000).getUTCFullYear();
  const ms = Date.UTC(year, Number(m[1]) - 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  return ms * 1000 + Number(m[6]);
}

export interface LeaseLine {
  /** the component's own klog time, µs since the epoch */
  tsUs: number;
  /** `renewed` only at klog verbosity 5 for leaderelection.go (`lab up --leader-election-verbosity 5`) */
  event: 'acquired' | 'renewed' | 'attempting' | 'lost';
  lease: string | undefined;
}

/** client-go's leader-election lines of kube-scheduler or kube-controller-manager. */
export function leaseLines(entries: JournalEntry[]): LeaseLine[] {
  const out: LeaseLine[] = [];
  for (const e of entries) {
    if (e.systemd) continue;
    // 1.32 logs `successfully acquired lease kube-system/kube-scheduler`; 1.37 logs structured
    // `"Successfully acquired lease" lock="kube-system/kube-scheduler"`
    const event = /successfully acquired lease/i.test(e.message)
      ? 'acquired'
      : /successfully renewed lease/i.test(e.message)
        ? 'renewed'
        : /attempting to acquire leader lease/i.test(e.message)
          ? 'attempting'
          : /leaderelection lost|failed to renew lease/i.test(e.message)
            ? 'lost'
            : undefined;
    if (!event) continue;
    const tsUs = klogTimeUs(e.message, e.realtimeUs) ?? e.realtimeUs;
    const lease = (/lock="([^"]+)"/.exec(e.message)?.[1] ?? /lease (\S+\/\S+)/.exec(e.message)?.[1])?.replace(
      /\.+$/,
      '',
    );
    out.push({ tsUs, event, lease });
  }
  return out;
}

export interface UnitLine {
  /** systemd's own stamp of the line where the journal has it, else journald's receipt (µs) */
  realtimeUs: number;
  event: 'stopping' | 'stopped' | 'killed' | 'exited' | 'started' | 'scheduled-restart';
  message: string;
}

/** systemd's own lines about a unit. */
export function unitLines(entries: JournalEntry[]): UnitLine[] {
  const rules: Array<[RegExp, UnitLine['event']]> = [
    [/^Stopping /, 'stopping'],
    [/^Stopped /, 'stopped'],
    [/Main process exited, code=killed/, 'killed'],
    [/Main process exited, code=exited/, 'exited'],
    [/^Started /, 'started'],
    [/Scheduled restart job/, 'scheduled-restart'],
  ];
  const out: UnitLine[] = [];
  for (const e of entries) {
    if (!e.systemd) continue;
    const hit = rules.find(([re]) => re.test(e.message));
    if (hit) out.push({ realtimeUs: e.sourceUs ?? e.realtimeUs, event: hit[1], message: e.message });
  }
  return out;
}
