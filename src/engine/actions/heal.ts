/** heal: remove this run's partition rules on the target, against every other master. */
import { healCommands } from './iptables.js';
import type { ActionDefinition, StepOf } from './types.js';

export const heal: ActionDefinition<StepOf<'heal'>> = {
  description: 'remove the partition rules this run added on a master',
  targets: (step) => ({ target: step.target }),
  render: (_step, { target }, ctx) => ({
    action: 'heal',
    summary: `heal ${target.map((m) => m.name).join(', ')}`,
    targets: target.map((m) => m.name),
    ops: target.map((x) => {
      const h = healCommands(
        ctx.inventory.masters.filter((p) => p.name !== x.name),
        ctx,
      );
      return { master: x.name, command: `${h.command}; ${h.verify}` };
    }),
    undo: [],
    effects: target.map((m) => ({ kind: 'heal', master: m.name })),
  }),
};
