/**
 * The dead-man's switches armed on the masters, as systemd itself lists them: what `recover`
 * shows after its replay, whoever armed them. systemd 252's `list-timers -o json` prints `left`
 * as the same absolute time as `next` (µs since the epoch), so the time left is computed from
 * `next` and the master's own clock, printed by the same command.
 */
import type { Inventory } from '../config/schema.js';
import { SWITCH_PREFIX } from './dead-man-switch.js';
import type { Remote } from './types.js';

export const LIST_SWITCHES_COMMAND = `systemctl list-timers -o json --all '${SWITCH_PREFIX}*' && echo && date +%s%6N`;

export interface ArmedSwitch {
  /** the transient unit's name, without `.timer` */
  unit: string;
  /** seconds until it fires, by the master's clock */
  leftS: number;
}

/** Parses LIST_SWITCHES_COMMAND's output; throws on anything else. */
export function parseArmedSwitches(stdout: string): ArmedSwitch[] {
  const lines = stdout.trim().split('\n');
  const nowUs = Number(lines.at(-1));
  const timers = JSON.parse(lines.slice(0, -1).join('\n') || '[]') as { next?: number; unit?: string }[];
  if (!Array.isArray(timers) || !Number.isFinite(nowUs))
    throw new Error(`unexpected output: ${stdout.slice(0, 120)}`);
  return timers
    .filter((t) => typeof t.unit === 'string' && t.unit.startsWith(SWITCH_PREFIX) && (t.next ?? 0) > 0)
    .map((t) => ({
      unit: (t.unit as string).replace(/\.timer$/, ''),
      leftS: Math.max(0, Math.round(((t.next as number) - nowUs) / 1e6)),
    }));
}

/** Every master's armed switches, or why they could not be read. */
export async function listArmedSwitches(
  remote: Remote,
  inventory: Inventory,
  timeoutS = 20,
): Promise<{ master: string; switches?: ArmedSwitch[]; error?: string }[]> {
  return Promise.all(
    inventory.masters.map(async (m) => {
      try {
        const r = await remote.exec(m, LIST_SWITCHES_COMMAND, { timeoutS });
        if (r.code !== 0 || r.timedOut)
          return {
            master: m.name,
            error: r.timedOut
              ? `no answer within ${timeoutS} s`
              : `exited ${r.code}: ${r.stderr.trim().slice(0, 160)}`,
          };
        return { master: m.name, switches: parseArmedSwitches(r.stdout) };
      } catch (err) {
        return { master: m.name, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/** Lines for people: one per armed switch with its time left and how to cancel it by hand. */
export function describeArmedSwitches(found: Awaited<ReturnType<typeof listArmedSwitches>>): string[] {
  const lines: string[] = [];
  for (const f of found) {
    if (f.error) lines.push(`${f.master}: could not list dead-man's switches: ${f.error}`);
    for (const s of f.switches ?? [])
      lines.push(
        `${f.master}: ${s.unit} armed, fires in ${s.leftS} s (cancel by hand: systemctl stop ${s.unit}.timer)`,
      );
  }
  return lines;
}
