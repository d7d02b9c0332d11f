/**
 * The units or manifests a drill will act on exist on every master before anything is
 * injected, and a step that failed before it could take effect leaves nothing pending.
 * A unit name that is not there makes the stop fail, then the undo, then `recover` forever.
 */
import type { ComponentName, Drill, Inventory, Master } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { shellQuote } from '../ssh/quote.js';
import { activeComponents, serviceCommands } from './services.js';
import type { ServiceSnapshot } from './service-snapshot.js';
import type { Remote, RenderedStep } from './types.js';

/** The components the drill's inject and restore steps act on, in a stable order. */
export function componentsActedOn(drill: Drill): ComponentName[] {
  const set = new Set<ComponentName>();
  for (const step of [...drill.inject, ...drill.restore]) if ('service' in step) set.add(step.service);
  return [...set].sort();
}

/**
 * One command that prints `present` or `missing` per unit (systemd: a unit file is loaded;
 * static-pod: the manifest is in place or stashed). Null for custom templates: only they know.
 */
export function presenceCommand(inv: Inventory, components: readonly ComponentName[]): string | null {
  const s = inv.services;
  if (s.manager === 'custom' || components.length === 0) return null;
  const test =
    s.manager === 'systemd'
      ? (u: string) => `systemctl cat -- ${shellQuote(u)}`
      : (u: string) =>
          `test -f ${shellQuote(`${s.manifestDir}/${u}.yaml`)} || test -f ${shellQuote(`${s.stashDir}/${u}.yaml`)}`;
  return components
    .map((c) => `if ${test(s.units[c])} >/dev/null 2>&1; then echo present; else echo missing; fi`)
    .join('; ');
}

/** Problems, one per master and unit: missing, or not checkable. Empty when all are there. */
export async function missingUnits(drill: Drill, inv: Inventory, remote: Remote): Promise<string[]> {
  const components = componentsActedOn(drill);
  const command = presenceCommand(inv, components);
  if (!command) return [];
  const what = inv.services.manager === 'systemd' ? 'unit' : 'manifest';
  const problems = await Promise.all(
    inv.masters.map(async (m: Master): Promise<string[]> => {
      let lines: string[];
      try {
        const r = await remote.exec(m, command, { timeoutS: 15 });
        lines = r.stdout
          .trim()
          .split('\n')
          .map((l) => l.trim());
      } catch (err) {
        return [`${m.name}: could not check the ${what}s: ${errorMessage(err)}`];
      }
      if (lines.length !== components.length || lines.some((l) => l !== 'present' && l !== 'missing'))
        return [`${m.name}: could not check the ${what}s (unexpected answer)`];
      return components.flatMap((c, i) =>
        lines[i] === 'missing'
          ? [`${m.name}: no ${what} '${inv.services.units[c]}' (services.units.${c})`]
          : [],
      );
    }),
  );
  return problems.flat();
}

/**
 * After an inject step failed: did it change anything? True when every service it acts on is,
 * on every target, as the pre-fault snapshot recorded it (then its undo is not needed). Steps
 * without service effects (ssh, partition) are never known to be unchanged.
 */
export async function unchangedAfterFailure(
  rendered: RenderedStep,
  inv: Inventory,
  remote: Remote,
  before: ServiceSnapshot,
): Promise<boolean> {
  const effects = rendered.effects.filter((e) => e.kind === 'down' || e.kind === 'up');
  if (effects.length === 0 || effects.length !== rendered.effects.length) return false;
  const s = serviceCommands(inv.services);
  for (const e of effects) {
    if (e.kind !== 'down' && e.kind !== 'up') return false;
    const master = inv.masters.find((m) => m.name === e.master);
    const was = before.get(`${e.master}/${e.component}`);
    if (!master || was === undefined) return false;
    const now = (
      await activeComponents(s, (c) => remote.exec(master, c, { timeoutS: 15 }), [e.component])
    ).get(e.component);
    if (now !== was) return false;
  }
  return true;
}
