/**
 * The dead-man's switch: before an inject step runs, a transient systemd timer on the target
 * master that runs the step's undo by itself after a TTL, unless the run disarms it. A run that
 * dies with no chance to restore (SIGKILL, a closed laptop, a lost VPN) cannot leave a fault
 * behind for longer than the TTL. Restore disarms it once its own undo is verified.
 *
 * The timer fires on time only with `AccuracySec` small (systemd's default lets it fire up to a
 * minute late). `--collect` unloads the service even if the undo failed, so nothing is left.
 */
import type { Drill, Inventory } from '../config/schema.js';
import { shellJoin, shellQuote } from '../ssh/quote.js';
import { parseDuration } from '../text/duration.js';
import { redactText } from '../text/redact.js';
import { statusCommand, writeCopyCommand, type MasterCopy } from './master-journal.js';
import { backoffWaitsMs, DEFAULT_BACKOFF_MS } from './restore.js';
import type { Remote, UndoSpec } from './types.js';

/** Of the restore budget, what is not backoff: running the commands and verifying them. */
export const RESTORE_WORK_S = 45;
export const SWITCH_MARGIN_S = 30;

/** The drill's restore tries and the waits between them (`safety.restore`, else 5 × 1 s doubling). */
export function restoreBackoffMs(drill: Drill): number[] {
  const r = drill.safety.restore;
  return r ? backoffWaitsMs(r.tries, parseDuration(r.backoff)) : DEFAULT_BACKOFF_MS;
}

/** Backoff waits + RESTORE_WORK_S: 60 s for the default budget (1+2+4+8 s + 45 s). */
export function restoreBudgetS(drill: Drill): number {
  return restoreBackoffMs(drill).reduce((a, b) => a + b, 0) / 1000 + RESTORE_WORK_S;
}
export const SWITCH_PREFIX = 'kha-drill-heal-';

/** A switch as armed and journaled. */
export interface SwitchSpec {
  /** transient unit name (`<unit>.timer` and `<unit>.service` on the master) */
  unit: string;
  ttlS: number;
  /** wall time (this machine's clock) when it was armed */
  armedAt?: string;
}

/** Why a step has no switch (the plan says so). */
export type SwitchChoice = { spec: SwitchSpec } | { none: string };

/** The drill's TTL: `safety.switchTtl`, else observe timeout + settle + restore budget + margin. */
export function switchTtlS(drill: Drill): number {
  if (drill.safety.switchTtl) return Math.ceil(parseDuration(drill.safety.switchTtl));
  return Math.ceil(
    parseDuration(drill.observe.timeout) +
      parseDuration(drill.observe.settle) +
      restoreBudgetS(drill) +
      SWITCH_MARGIN_S,
  );
}

/** `kha-drill-heal-<run>-<undo id>`, in the characters a unit name allows. */
export function switchUnit(runId: string, undoId: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '-');
  return `${SWITCH_PREFIX}${safe(runId).slice(0, 160)}-${safe(undoId)}`;
}

export function chooseSwitch(
  drill: Drill,
  inventory: Inventory,
  runId: string,
  undo: UndoSpec,
): SwitchChoice {
  if (!drill.safety.switch) return { none: 'the drill opts out (safety.switch: false)' };
  const manager = inventory.services.manager;
  if (manager !== 'systemd') return { none: `no switch on ${manager} hosts yet (systemd only)` };
  // a transient unit's command line is readable by any user of the master (`systemctl show`)
  if (undo.commands.some((c) => redactText(c) !== c))
    return { none: 'its undo holds a secret, which a unit on the master would expose' };
  return { spec: { unit: switchUnit(runId, undo.id), ttlS: switchTtlS(drill) } };
}

/**
 * Arms the timer; with `copy`, first writes the undo's copy on the master, and the switch, once
 * its undo ran, records there that it healed the master.
 */
export function armCommand(spec: SwitchSpec, undo: UndoSpec, copy?: MasterCopy): string {
  const heal = undo.commands.join(' && ');
  const arm = shellJoin([
    'systemd-run',
    '--quiet',
    '--collect',
    `--unit=${spec.unit}`,
    `--on-active=${spec.ttlS}s`,
    '--timer-property=AccuracySec=100ms',
    `--description=kha-drill dead-man switch: ${undo.description}`,
    '/bin/sh',
    '-c',
    undo.copy && copy ? `${heal} && ${statusCommand(undo.copy, 'healed', "dead-man's switch")}` : heal,
  ]);
  return undo.copy && copy ? `${writeCopyCommand(undo.copy, copy)} && ${arm}` : arm;
}

/** Stops the timer; exits 0 once it is not armed (also when it already fired and is gone). */
export function disarmCommand(spec: SwitchSpec): string {
  const timer = shellQuote(`${spec.unit}.timer`);
  return `systemctl stop -- ${timer} 2>/dev/null; ! systemctl is-active --quiet -- ${timer}`;
}

/** One line for plans and progress. */
export function describeSwitch(choice: SwitchChoice): string {
  return 'spec' in choice
    ? `dead-man's switch ${choice.spec.unit}: runs the undo by itself after ${choice.spec.ttlS} s unless disarmed`
    : `no dead-man's switch: ${choice.none}`;
}

async function onMaster(
  remote: Remote,
  inventory: Inventory,
  masterName: string,
  command: string,
): Promise<string | null> {
  const master = inventory.masters.find((m) => m.name === masterName);
  if (!master) return `master ${masterName} is not in the inventory`;
  try {
    const r = await remote.exec(master, command, { timeoutS: 20 });
    if (r.code === 0 && !r.timedOut) return null;
    return `\`${command}\` on ${master.name} exited ${r.timedOut ? '(timed out)' : r.code}${r.stderr ? `: ${r.stderr.trim().slice(0, 200)}` : ''}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Arms the switch for `undo` (and writes its copy on the master); returns the error, or null once armed. */
export function armSwitch(
  remote: Remote,
  inventory: Inventory,
  spec: SwitchSpec,
  undo: UndoSpec,
  copy?: MasterCopy,
): Promise<string | null> {
  return onMaster(remote, inventory, undo.master, armCommand(spec, undo, copy));
}

/** Writes the copy of an undo that has no switch on its master; returns the error, or null. */
export function writeMasterCopy(
  remote: Remote,
  inventory: Inventory,
  undo: UndoSpec,
  copy: MasterCopy,
): Promise<string | null> {
  if (!undo.copy) return Promise.resolve(null);
  return onMaster(remote, inventory, undo.master, writeCopyCommand(undo.copy, copy));
}

/**
 * The undo is verified (or not needed): disarms its switch and marks its copy on the master
 * done (`by`: who says so). Returns the error, or null once the switch is not armed.
 */
export function disarmSwitch(
  remote: Remote,
  inventory: Inventory,
  undo: UndoSpec,
  by = 'kha-drill run',
): Promise<string | null> {
  const parts = [
    ...(undo.switch ? [`{ ${disarmCommand(undo.switch)}; }`] : []),
    ...(undo.copy ? [statusCommand(undo.copy, 'done', by)] : []),
  ];
  if (parts.length === 0) return Promise.resolve(null);
  return onMaster(remote, inventory, undo.master, parts.join(' && '));
}

/**
 * When a journaled switch fires, by this machine's clock: `ttlS` after it was armed (or after
 * its entry was journaled, for a record without `armedAt`). Says whether that moment passed.
 */
export function describeSwitchDeadline(
  entry: { switch?: SwitchSpec; at: string; master: string },
  nowMs: number,
): string | null {
  if (!entry.switch) return null;
  const fireMs = Date.parse(entry.switch.armedAt ?? entry.at) + entry.switch.ttlS * 1000;
  if (!Number.isFinite(fireMs)) return `its dead-man's switch ${entry.switch.unit} on ${entry.master}`;
  const leftS = Math.round((fireMs - nowMs) / 1000);
  return leftS > 0
    ? `its dead-man's switch ${entry.switch.unit} on ${entry.master} fires in about ${leftS} s unless disarmed`
    : `its dead-man's switch ${entry.switch.unit} on ${entry.master} fired about ${-leftS} s ago (if it was still armed)`;
}
