/**
 * The dead-man's switches armed on each master, for `status`: systemd's own list, read over SSH
 * with armed-switches.ts (the one parser), each master bounded by a short deadline and failing
 * soft: a master that cannot be asked is a row saying why, never a failed status.
 */
import type { Inventory, Master } from '../config/schema.js';
import { listArmedSwitches, type ArmedSwitch } from '../engine/armed-switches.js';
import type { Remote } from '../engine/types.js';
import { errorMessage } from '../errors.js';
import { setSafeTimeout } from '../time/timer.js';

/** Status looks at switches for at least this long, whatever `--timeout` says (an SSH handshake). */
export const SWITCHES_MIN_TIMEOUT_MS = 5000;

/** One master's switches: `armed` when they could be listed, else `error` (known: false). */
export interface SwitchRow {
  master: string;
  known: boolean;
  armed: ArmedSwitch[];
  error: string | null;
}

export const switchesTimeoutMs = (checkTimeoutMs: number): number =>
  Math.max(SWITCHES_MIN_TIMEOUT_MS, checkTimeoutMs);

/** Lists every master's switches within `timeoutMs` each (the remote's connect deadline too). */
export async function gatherSwitches(
  remote: Remote,
  inventory: Inventory,
  timeoutMs: number,
): Promise<SwitchRow[]> {
  const timeoutS = Math.max(1, Math.ceil(timeoutMs / 1000));
  return Promise.all(inventory.masters.map((m) => oneMaster(remote, inventory, m, timeoutS)));
}

async function oneMaster(
  remote: Remote,
  inventory: Inventory,
  m: Master,
  timeoutS: number,
): Promise<SwitchRow> {
  let timer: ReturnType<typeof setSafeTimeout> | undefined;
  const late = new Promise<{ error: string }>((resolve) => {
    timer = setSafeTimeout(() => resolve({ error: `no answer within ${timeoutS} s` }), timeoutS * 1000);
  });
  try {
    const found = await Promise.race([
      listArmedSwitches(remote, { ...inventory, masters: [m] }, timeoutS).then((r) => r[0]),
      late,
    ]);
    if (found && 'switches' in found && found.switches)
      return { master: m.name, known: true, armed: found.switches, error: null };
    return { master: m.name, known: false, armed: [], error: found?.error ?? 'no answer' };
  } catch (err) {
    return { master: m.name, known: false, armed: [], error: errorMessage(err) };
  } finally {
    timer?.clear();
  }
}

/** The section's lines: one per armed switch, `none armed`, or `switches: unknown (ssh: …)`. */
export function switchLines(rows: readonly SwitchRow[]): string[] {
  return rows.flatMap((r) => {
    if (!r.known) return [`${r.master}: switches: unknown (ssh: ${r.error ?? 'no answer'})`];
    if (r.armed.length === 0) return [`${r.master}: none armed`];
    return r.armed.map(
      (s) =>
        `${r.master}: ${s.unit} armed, fires in ${s.leftS} s (cancel by hand: systemctl stop ${s.unit}.timer)`,
    );
  });
}

/** A note for the verdict's block when something is armed: a run is going on, or one was killed. */
export function switchNote(rows: readonly SwitchRow[]): string | null {
  const n = rows.reduce((a, r) => a + r.armed.length, 0);
  if (n === 0) return null;
  return `${n} dead-man's switch${n > 1 ? 'es' : ''} armed: a drill is running, or one was killed (\`kha-drill recover -i <inventory>\` finishes its restore)`;
}
