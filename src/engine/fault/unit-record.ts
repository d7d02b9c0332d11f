/**
 * What systemd recorded about a unit's main process, to the microsecond, and the fault moment
 * read from it. `systemctl show --timestamp=us+utc` prints realtime stamps such as
 * `Sun 2026-12-06 01:07:10.049412 UTC` (systemd ≥ 248). Pure.
 */
import { shellQuote } from '../../ssh/quote.js';

export interface UnitRecord {
  /** seconds since the epoch on the master's clock, null when systemd has none */
  execMainStart: number | null;
  execMainExit: number | null;
  inactiveEnter: number | null;
  activeEnter: number | null;
  /** when the unit last left `active`: a stop job's start (systemd logs "Stopping …" then) */
  activeExit: number | null;
  nRestarts: number | null;
  activeState: string | null;
}

const PROPS = [
  'ExecMainStartTimestamp',
  'ExecMainExitTimestamp',
  'InactiveEnterTimestamp',
  'ActiveEnterTimestamp',
  'ActiveExitTimestamp',
  'NRestarts',
  'ActiveState',
];

export function unitRecordCommand(unit: string): string {
  return `systemctl show ${PROPS.map((p) => `-p ${p}`).join(' ')} --timestamp=us+utc -- ${shellQuote(unit)}`;
}

const stampRe = /^\w{3} (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6}) UTC$/;

/** `Sun 2026-12-06 01:07:10.049412 UTC` → seconds since the epoch; empty or other → null. */
export function parseSystemdStamp(text: string): number | null {
  const m = stampRe.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, us] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) / 1000 + us! / 1e6;
}

export function parseUnitRecord(stdout: string): UnitRecord {
  const v = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) v.set(line.slice(0, i), line.slice(i + 1));
  }
  const num = (k: string) => (v.get(k) ? Number(v.get(k)) : null);
  return {
    execMainStart: parseSystemdStamp(v.get('ExecMainStartTimestamp') ?? ''),
    execMainExit: parseSystemdStamp(v.get('ExecMainExitTimestamp') ?? ''),
    inactiveEnter: parseSystemdStamp(v.get('InactiveEnterTimestamp') ?? ''),
    activeEnter: parseSystemdStamp(v.get('ActiveEnterTimestamp') ?? ''),
    activeExit: parseSystemdStamp(v.get('ActiveExitTimestamp') ?? ''),
    nRestarts: num('NRestarts'),
    activeState: v.get('ActiveState') ?? null,
  };
}

/** A fault moment on the master's clock: best estimate and the interval it surely lies in. */
export interface MasterMoment {
  source:
    'unit-exit' | 'unit-inactive' | 'unit-left-active' | 'unit-restarted' | 'container-exit' | 'bracket';
  t: number;
  lo: number;
  hi: number;
  note: string;
  /**
   * when the stop began, on the master's clock: systemd's ActiveExitTimestamp (the unit left
   * `active`, SIGTERM follows) when it lies in [command start, t]; a component that releases its
   * Lease on SIGTERM does so after this and before it exits
   */
  stopStart?: number;
}

/** systemd's stamps have microsecond resolution. */
const RESOLUTION_S = 1e-6;

/** The command's bracket as the moment: anywhere inside it, midpoint ± half its width. */
export function bracketMoment(start: number, end: number, why: string): MasterMoment {
  return { source: 'bracket', t: (start + end) / 2, lo: start, hi: end, note: why };
}

/**
 * A partition is in place once its last rule is (the peers are cut off only then): the rules are
 * one `&&` chain and the bracket's end is read by the same shell right after the chain returns, so
 * the moment is the bracket's end; it surely lies inside the bracket.
 */
export function partitionMoment(start: number, end: number): MasterMoment {
  return {
    source: 'bracket',
    t: end,
    lo: start,
    hi: end,
    note: "the last partition rule in place: the master's clock read right after the rules' chain returned",
  };
}

/**
 * When the unit's main process left, from systemd's record read after a command whose bracket
 * started at `start` (master clock); `pending` when it has not left yet (read again).
 * - ExecMainExitTimestamp at or after the command's start: that is the moment.
 * - no exit record but InactiveEnterTimestamp after the start: a restart reset the exit record
 *   when it started the new process; systemd enters inactive in the same turn of its loop as it
 *   reaps the main process (no ExecStopPost on these units), so that stamp is the moment, from
 *   the command's start at the earliest.
 * - no exit record, but a new main process started after the command's start (Restart=): the
 *   exit lies between the command's start and that new start.
 */
export function momentFromUnit(rec: UnitRecord, start: number, graceful = true): MasterMoment | 'pending' {
  const m = graceful ? exitMoment(rec, start) : killMoment(rec, start);
  if (m === 'pending' || !graceful) return m;
  const a = rec.activeExit;
  return a !== null && a >= start && a <= m.hi ? { ...m, stopStart: a } : m;
}

/**
 * A signal (systemctl kill): the process dies at once and systemd, handling its death, stamps
 * ExecMainExitTimestamp, then the unit leaves `active` (ActiveExitTimestamp; 28 ms later on a
 * loaded lab master). When Restart= already reset the exit record, the unit's leaving `active`
 * is the latest the process can have left (InactiveEnterTimestamp then is the restart's, after
 * RestartSec, not the death's).
 */
function killMoment(rec: UnitRecord, start: number): MasterMoment | 'pending' {
  if (rec.execMainExit !== null && rec.execMainExit >= start) return exitMoment(rec, start);
  if (rec.activeExit !== null && rec.activeExit >= start) {
    return {
      source: 'unit-left-active',
      t: rec.activeExit,
      lo: start,
      hi: rec.activeExit + RESOLUTION_S,
      note: "systemd's ActiveExitTimestamp (the unit left active when systemd handled the process's death; Restart= had reset its exit record)",
    };
  }
  return exitMoment(rec, start);
}

function exitMoment(rec: UnitRecord, start: number): MasterMoment | 'pending' {
  if (rec.execMainExit !== null && rec.execMainExit >= start) {
    return {
      source: 'unit-exit',
      t: rec.execMainExit,
      lo: rec.execMainExit,
      hi: rec.execMainExit + RESOLUTION_S,
      note: "systemd's ExecMainExitTimestamp (the main process left)",
    };
  }
  if (rec.inactiveEnter !== null && rec.inactiveEnter >= start) {
    return {
      source: 'unit-inactive',
      t: rec.inactiveEnter,
      lo: start,
      hi: rec.inactiveEnter + RESOLUTION_S,
      note: "systemd's InactiveEnterTimestamp (the process had left; its exit record was reset by the restart)",
    };
  }
  if (rec.execMainStart !== null && rec.execMainStart >= start) {
    return {
      source: 'unit-restarted',
      t: (start + rec.execMainStart) / 2,
      lo: start,
      hi: rec.execMainStart,
      note: 'systemd had already started the unit again: the exit lies between the command’s start and that start',
    };
  }
  return 'pending';
}

/**
 * Static pods: when each exited instance of the container named `name` left, as the container
 * runtime recorded it (`crictl inspect`'s status.finishedAt, RFC 3339 with nanoseconds), one per
 * line, and the exit the fault's own command noted in `noteFile` (services.ts): the kubelet
 * removes the exited containers of a pod whose manifest left, sometimes before this reads them.
 */
export function containerExitsCommand(name: string, noteFile: string): string {
  const n = shellQuote(`^${name}$`);
  return (
    `cat ${shellQuote(noteFile)} 2>/dev/null; ` +
    `for id in $(crictl ps -a -q --name ${n} --state Exited); do crictl inspect -o go-template --template '{{.status.finishedAt}}' "$id"; echo; done`
  );
}

const rfc3339Re = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/;

/** `2026-12-06T01:07:10.049412345Z` → seconds since the epoch (to the ns); other → null. */
export function parseRfc3339(text: string): number | null {
  const m = rfc3339Re.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.slice(0, 7).map(Number) as number[];
  const frac = m[7] ? Number(`0.${m[7]}`) : 0;
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) / 1000 + frac;
}

/**
 * The container's exit at or after the command's start (master clock), from what
 * `containerExitsCommand` printed: the earliest such exit (a later one is the kubelet's restart
 * dying again); `pending` while none has exited yet (a removed manifest is noticed by the
 * kubelet within its file-check period).
 */
export function momentFromContainer(stdout: string, start: number): MasterMoment | 'pending' {
  const exits = stdout
    .split('\n')
    .map(parseRfc3339)
    .filter((t): t is number => t !== null && t >= start)
    .sort((a, b) => a - b);
  const t = exits[0];
  if (t === undefined) return 'pending';
  return {
    source: 'container-exit',
    t,
    lo: t,
    hi: t + 1e-6,
    note: "the container runtime's finishedAt (the static pod's container exited)",
  };
}
