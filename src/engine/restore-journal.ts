/**
 * What restore does beyond the undos, journaled like them: the drill's own `restore` steps (each
 * journaled right before it runs) and the "as found" check (journaled before the first undo is
 * replayed: every service that ran before the drill runs again). A harness killed anywhere in
 * restore, after its last undo too, leaves these pending for `kha-drill recover`, which runs
 * them after the undos, in this order: undos newest first, restore steps in drill order, then
 * "as found". Every command here is idempotent or guarded, so running it twice is harmless.
 */
import type { ComponentName, Inventory } from '../config/schema.js';
import type { ServiceSnapshot } from './service-snapshot.js';
import { serviceCommands } from './services.js';
import type { RenderedStep, UndoSpec } from './types.js';

/**
 * One entry per master where something ran before the drill: starts each such component that
 * is not running (a no-op for one that is), verified by all of them running.
 */
export function asFoundUndos(inventory: Inventory, before: ServiceSnapshot): UndoSpec[] {
  const s = serviceCommands(inventory.services);
  return inventory.masters.flatMap((m) => {
    const ran = [...before]
      .filter(([key, active]) => active && key.startsWith(`${m.name}/`))
      .map(([key]) => key.slice(m.name.length + 1) as ComponentName);
    if (ran.length === 0) return [];
    return [
      {
        id: `found.${m.name}`,
        stage: 'as-found' as const,
        master: m.name,
        description: `as found: ${ran.join(', ')} running on ${m.name} as before the drill`,
        commands: ran.map((c) => `{ ${s.isActive(c)} >/dev/null 2>&1 || ${s.start(c)}; }`),
        verify: ran.map((c) => `${s.isActive(c)} >/dev/null 2>&1`).join(' && '),
      },
    ];
  });
}

/** The drill's restore step `n` (0-based) as it will run now: one entry per remote command. */
export function restoreStepUndos(rendered: RenderedStep, n: number): UndoSpec[] {
  return rendered.ops.map((op, k) => ({
    id: `restore-${n}.${k}`,
    stage: 'restore' as const,
    master: op.master,
    description: `restore step ${n + 1} (${rendered.action}) on ${op.master}`,
    commands: [op.command],
  }));
}

const STAGE_RANK = { undo: 0, restore: 1, 'as-found': 2 } as const;

/**
 * The order to replay pending entries in, given in the order they were journaled: the undos of
 * the faults newest first, then the drill's restore steps and the "as found" check as restore
 * runs them (oldest first).
 */
export function replayOrder<T>(journaled: readonly T[], undoOf: (t: T) => Pick<UndoSpec, 'stage'>): T[] {
  const rank = (t: T) => STAGE_RANK[undoOf(t).stage ?? 'undo'];
  const undos = journaled.filter((t) => rank(t) === 0).reverse();
  const rest = journaled.filter((t) => rank(t) > 0).sort((a, b) => rank(a) - rank(b));
  return [...undos, ...rest];
}
