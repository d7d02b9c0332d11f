/** Shared rendering of the four service actions: one op and (maybe) one undo per master. */
import type { ComponentName, Master } from '../../config/schema.js';
import { serviceCommands, type ServiceCommands } from '../services.js';
import type { Effect, RenderContext, RenderedStep, UndoSpec } from '../types.js';

export function renderServiceAction(
  action: string,
  verb: string,
  component: ComponentName,
  masters: Master[],
  ctx: RenderContext,
  command: (s: ServiceCommands) => string,
  undo: ((s: ServiceCommands) => string) | null,
  effect: Effect['kind'] | null,
  /** exits 0 once the undo took effect (default: the component is active) */
  verify: (s: ServiceCommands) => string = (x) => x.isActive(component),
): RenderedStep {
  const s = serviceCommands(ctx.inventory.services);
  const undos: UndoSpec[] = undo
    ? masters.map((m, n) => ({
        id: `${ctx.phase}-${ctx.index}.${n}`,
        master: m.name,
        description: `start ${component} on ${m.name}`,
        commands: [undo(s)],
        verify: verify(s),
      }))
    : [];
  return {
    action,
    summary: `${verb} ${component} on ${masters.map((m) => m.name).join(', ')}`,
    targets: masters.map((m) => m.name),
    ops: masters.map((m) => ({ master: m.name, command: command(s) })),
    undo: undos,
    effects: effect ? masters.map((m) => ({ kind: effect, master: m.name, component }) as Effect) : [],
  };
}
