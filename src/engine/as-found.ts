/**
 * "As found": restore puts back what ran before the drill, and nothing more. A service the
 * pre-drill snapshot saw stopped (stopped on purpose by an operator, say) is not started by a
 * drill's `startService` restore step, and a fault on it needs no undo. A service whose state
 * was unknown before is treated as running (started, as before this rule).
 */
import type { ServiceSnapshot } from './service-snapshot.js';
import type { Effect, RenderedStep } from './types.js';

export interface AsFound {
  step: RenderedStep;
  /** one line per master left alone, e.g. "kube-controller-manager on master-2" */
  left: string[];
}

const stoppedBefore = (before: ServiceSnapshot, e: Effect | undefined): e is Effect & { component: string } =>
  e !== undefined && 'component' in e && before.get(`${e.master}/${e.component}`) === false;

/** A `startService` step without the masters where the service was not running before the drill. */
export function startOnlyAsFound(step: RenderedStep, before: ServiceSnapshot): AsFound {
  if (step.action !== 'startService' || step.ops.length !== step.effects.length) return { step, left: [] };
  const keep = step.effects.map((e) => !(e.kind === 'up' && stoppedBefore(before, e)));
  const left = step.effects.flatMap((e, i) =>
    keep[i] || !('component' in e) ? [] : [`${e.component} on ${e.master}`],
  );
  if (left.length === 0) return { step, left };
  const targets = step.targets.filter((_, i) => keep[i]);
  return {
    step: {
      ...step,
      targets,
      ops: step.ops.filter((_, i) => keep[i]),
      effects: step.effects.filter((_, i) => keep[i]),
      summary: targets.length
        ? step.summary.replace(/ on .*$/, ` on ${targets.join(', ')}`)
        : `${step.summary} (nothing to start)`,
    },
    left,
  };
}

/** The undos of a stop or kill whose service was not running before the drill: not needed. */
export function undoNotNeeded(step: RenderedStep, before: ServiceSnapshot): Set<string> {
  const ids = new Set<string>();
  if (step.undo.length !== step.effects.length) return ids;
  step.undo.forEach((u, i) => {
    const e = step.effects[i];
    if (e?.kind === 'down' && e.master === u.master && stoppedBefore(before, e)) ids.add(u.id);
  });
  return ids;
}
