/**
 * Puts the fault's real moment on the timeline: clock offsets of the masters (preflight, after
 * each inject, at restore), t_fault of each inject step per master, and the victim's real
 * restart after restore. Only here does the engine read systemd's records for timing.
 */
import type { Inventory, Master, Step } from '../../config/schema.js';
import { errorMessage } from '../../errors.js';
import type { CommandBracket, FaultEvent } from '../../timeline/events.js';
import type { RunTimeline } from '../deps.js';
import type { Remote } from '../types.js';
import { exitNoteFile } from '../services.js';
import { CLOCK_COMMAND, offsetOf, toRunClock, type ClockOffset, type ClockSample } from './clock-offset.js';
import {
  bracketMoment,
  containerExitsCommand,
  momentFromContainer,
  momentFromUnit,
  parseUnitRecord,
  partitionMoment,
  unitRecordCommand,
  type MasterMoment,
} from './unit-record.js';

export interface FaultDeps {
  inventory: Inventory;
  remote: Remote;
  timeline: RunTimeline;
  sleep: (ms: number) => Promise<void>;
}

/** Round trips per estimate: the smallest of them bounds the offset. */
export const CLOCK_SAMPLES = 4;
const POLL_MS = 50;

/**
 * Samples a master's clock `n` times (plus the given samples, e.g. an inject command's bracket);
 * null when it did not answer.
 */
export async function sampleClock(
  d: FaultDeps,
  master: Master,
  n = CLOCK_SAMPLES,
  extra: readonly ClockSample[] = [],
): Promise<ClockOffset | null> {
  const samples: ClockSample[] = [...extra];
  if (d.remote.readClock) {
    try {
      // one more than asked: the first answer waits for the loop to start
      samples.push(...(await d.remote.readClock(master, n + 1, () => d.timeline.now())));
    } catch {
      // not readable this way now: one exec per reading below
    }
    if (samples.length > extra.length) return offsetOf(samples);
  }
  for (let i = 0; i < n; i++) {
    try {
      const sent = d.timeline.now();
      const r = await d.remote.exec(master, CLOCK_COMMAND, { timeoutS: 5 });
      const received = d.timeline.now();
      if (r.code === 0) samples.push({ sent, received, master: Number(r.stdout.trim()) });
    } catch {
      // unreachable now: the estimate uses what answered
    }
  }
  return offsetOf(samples);
}

/** Samples and records each master's offset; returns them by master name. */
export async function recordClocks(
  d: FaultDeps,
  masters: readonly Master[],
  at: 'preflight' | 'inject' | 'restore',
  extra: readonly ClockSample[] = [],
): Promise<Map<string, ClockOffset>> {
  const out = new Map<string, ClockOffset>();
  // the masters side by side (each over its own connection), their samples one after another
  const offsets = await Promise.all(masters.map((m) => sampleClock(d, m, CLOCK_SAMPLES, extra)));
  for (const [i, m] of masters.entries()) {
    const o = offsets[i];
    if (!o) continue;
    out.set(m.name, o);
    d.timeline.append({
      kind: 'clock',
      master: m.name,
      offsetS: o.offsetS,
      errS: o.errS,
      samples: o.samples,
      at,
    });
  }
  return out;
}

const SERVICE_ACTIONS = new Set(['stopService', 'killService', 'restartService']);

/**
 * How long to wait for the main process to leave after the command returned. A `--no-block`
 * stop returns at once and the process may take long to leave (kube-apiserver drains): one read
 * now, and the moment is read again before restore starts the unit (refineFaults).
 */
function exitWaitS(step: Step): number {
  if (step.action === 'stopService' && step.wait === false) return 0;
  return 3;
}

/**
 * What records the fault's moment of a service action: systemd's unit (its main process leaving),
 * or a static pod's container (its exit, by the container runtime); null when nothing does (a
 * frozen process does not leave: its moment is the signal's delivery, inside the bracket).
 */
export function faultRecordOf(
  step: Step,
  inventory: Inventory,
): { kind: 'unit' | 'container'; name: string } | null {
  if (!SERVICE_ACTIONS.has(step.action) || !('service' in step)) return null;
  if (step.action === 'killService' && step.signal === 'STOP') return null;
  const name = inventory.services.units[step.service];
  const manager = inventory.services.manager;
  if (manager === 'systemd') return { kind: 'unit', name };
  if (manager === 'static-pod') return { kind: 'container', name };
  return null;
}

async function momentOnMaster(
  d: FaultDeps,
  step: Step,
  master: Master,
  bracket: CommandBracket,
  waitS = exitWaitS(step),
): Promise<MasterMoment & { provisional?: true }> {
  const end = bracket.end ?? bracket.start;
  const rec = faultRecordOf(step, d.inventory);
  if (rec === null) {
    if (step.action === 'partition') return partitionMoment(bracket.start, end);
    const why =
      step.action === 'killService'
        ? 'the signal was delivered inside the command'
        : 'the command’s bracket on the master’s clock';
    return bracketMoment(bracket.start, end, why);
  }
  const deadline = d.timeline.now() + waitS;
  let last = 'no record read';
  for (;;) {
    try {
      const unit = rec.kind === 'unit';
      const command = unit
        ? unitRecordCommand(rec.name)
        : containerExitsCommand(rec.name, exitNoteFile(d.inventory.services, rec.name));
      const r = await d.remote.exec(master, command, { timeoutS: 5 });
      if (r.code === 0) {
        const m = unit
          ? momentFromUnit(parseUnitRecord(r.stdout), bracket.start, step.action !== 'killService')
          : momentFromContainer(r.stdout, bracket.start);
        if (m !== 'pending') return m;
        last = unit ? `${rec.name}'s main process had not left` : `no ${rec.name} container had exited`;
      } else last = `${unit ? 'systemctl show' : 'crictl'} exited ${r.code}`;
    } catch (err) {
      last = errorMessage(err);
    }
    if (d.timeline.now() >= deadline) break;
    await d.sleep(POLL_MS);
  }
  return {
    ...bracketMoment(
      bracket.start,
      end,
      `${rec.kind === 'unit' ? 'systemd' : 'the container runtime'} gave no exit moment (${last}): the command's bracket`,
    ),
    provisional: true,
  };
}

/**
 * t_fault of one inject step on each master it ran on: a fresh clock offset, systemd's record
 * of the main process leaving (or the command's bracket), mapped to the run clock.
 */
export async function recordFaults(
  d: FaultDeps,
  step: Step,
  index: number,
  brackets: readonly CommandBracket[],
  command: { start: number; end: number },
): Promise<FaultEvent[]> {
  const out: FaultEvent[] = [];
  const seen = new Set<string>();
  for (const b of brackets) {
    if (seen.has(b.master)) continue;
    seen.add(b.master);
    const master = d.inventory.masters.find((m) => m.name === b.master);
    if (!master) continue;
    const base = {
      kind: 'fault' as const,
      index,
      action: step.action,
      master: b.master,
      ...('service' in step ? { service: step.service } : {}),
      commandStart: command.start,
      commandEnd: command.end,
    };
    // the command's own round trip bounds the offset too: the master read t0 and t1 inside it
    const own: ClockSample[] = [{ sent: command.start, received: command.end, master: b.start }];
    if (b.end !== undefined) own.push({ sent: command.start, received: command.end, master: b.end });
    const offset = (await recordClocks(d, [master], 'inject', own)).get(b.master);
    if (!offset) {
      const e = {
        ...base,
        source: 'command' as const,
        tFault: (command.start + command.end) / 2,
        lo: command.start,
        hi: command.end,
        offsetS: 0,
        offsetErrS: 0,
        note: `${b.master}'s clock could not be read: the command's send and return`,
      };
      const appended = d.timeline.append(e);
      if (appended.kind === 'fault') out.push(appended);
      continue;
    }
    const m = await momentOnMaster(d, step, master, b);
    appendFault(d, out, base, m, b, offset);
  }
  return out;
}

type FaultBase = Pick<
  FaultEvent,
  'kind' | 'index' | 'action' | 'master' | 'service' | 'commandStart' | 'commandEnd'
>;

function appendFault(
  d: FaultDeps,
  out: FaultEvent[],
  base: FaultBase,
  m: MasterMoment & { provisional?: true },
  b: CommandBracket,
  offset: ClockOffset,
): void {
  {
    const e = {
      ...base,
      ...(m.provisional ? { provisional: true as const } : {}),
      masterBracket: b,
      source: m.source,
      tFault: toRunClock(m.t, offset),
      lo: toRunClock(m.lo, offset) - offset.errS,
      hi: toRunClock(m.hi, offset) + offset.errS,
      bracket: {
        start: toRunClock(b.start, offset),
        end: toRunClock(b.end ?? b.start, offset),
      },
      ...(m.stopStart !== undefined ? { stopStart: toRunClock(m.stopStart, offset) } : {}),
      offsetS: offset.offsetS,
      offsetErrS: offset.errS,
      note: m.note,
    };
    const appended = d.timeline.append(e);
    if (appended.kind === 'fault') out.push(appended);
  }
}

/**
 * Before restore starts anything: the moments that were not known yet (a `--no-block` stop
 * whose process was still leaving) are read again, while systemd still has the exit record; a
 * moment found supersedes the provisional one (a later fault event for the same step and master).
 */
export async function refineFaults(
  d: FaultDeps,
  steps: readonly Step[],
  faults: readonly FaultEvent[],
): Promise<void> {
  for (const f of faults) {
    if (!f.provisional || !f.masterBracket) continue;
    const step = steps[f.index];
    const master = d.inventory.masters.find((m) => m.name === f.master);
    if (!step || !master) continue;
    const offset = (await recordClocks(d, [master], 'restore')).get(f.master);
    if (!offset) continue;
    const m = await momentOnMaster(d, step, master, f.masterBracket, 0);
    if (m.provisional) continue;
    const base: FaultBase = {
      kind: 'fault',
      index: f.index,
      action: f.action,
      master: f.master,
      ...(f.service ? { service: f.service } : {}),
      commandStart: f.commandStart,
      commandEnd: f.commandEnd,
    };
    appendFault(d, [], base, { ...m, note: `${m.note}, read before restore` }, f.masterBracket, offset);
  }
}

/**
 * After restore: when each unit a fault stopped really started again (its ExecMainStartTimestamp
 * after the fault, whether systemd's Restart= or the restore started it).
 */
export async function recordRestarts(d: FaultDeps, faults: readonly FaultEvent[]): Promise<void> {
  const done = new Set<string>();
  for (const f of faults) {
    if (!f.service || f.source === 'bracket' || f.source === 'command') continue;
    const key = `${f.master}/${f.service}`;
    if (done.has(key)) continue;
    done.add(key);
    const master = d.inventory.masters.find((m) => m.name === f.master);
    const unit = d.inventory.services.units[f.service as keyof Inventory['services']['units']];
    if (!master || !unit) continue;
    const offset = (await recordClocks(d, [master], 'restore')).get(f.master);
    if (!offset) continue;
    try {
      const r = await d.remote.exec(master, unitRecordCommand(unit), { timeoutS: 5 });
      const rec = parseUnitRecord(r.stdout);
      const faultOnMaster = f.tFault + f.offsetS;
      if (r.code !== 0 || rec.execMainStart === null || rec.execMainStart < faultOnMaster) continue;
      d.timeline.append({
        kind: 'unitStart',
        master: f.master,
        service: f.service,
        tStart: toRunClock(rec.execMainStart, offset),
        errS: offset.errS,
        restarts: rec.nRestarts,
      });
    } catch {
      // the restart moment stays unknown: catch-up falls back to the restore step
    }
  }
}
