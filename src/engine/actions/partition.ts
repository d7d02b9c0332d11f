/** partition: isolate the target from its peers (both directions); undo heals it. */
import type { Master } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import type { UndoSpec } from '../types.js';
import { healCommands, insertRule, rulesFor } from './iptables.js';
import type { ActionDefinition, StepOf } from './types.js';

export const partition: ActionDefinition<StepOf<'partition'>> = {
  description: 'isolate a master from its peers with iptables, both directions (undo: heal)',
  targets: (step) => ({ target: step.target, from: step.from === 'peers' ? [] : step.from }),
  render: (step, { target, from }, ctx) => {
    const ops: { master: string; command: string }[] = [];
    const undo: UndoSpec[] = [];
    target.forEach((x, n) => {
      const peers: Master[] = (step.from === 'peers' ? ctx.inventory.masters : from).filter(
        (p) => p.name !== x.name,
      );
      if (peers.length === 0) throw new UsageError(`partition of ${x.name}: no peers to cut it off from`);
      const rules = rulesFor(peers, ctx);
      ops.push({ master: x.name, command: rules.map(insertRule).join(' && ') });
      const heal = healCommands(peers, ctx);
      undo.push({
        id: `${ctx.phase}-${ctx.index}.${n}`,
        master: x.name,
        description: `heal ${x.name} (remove the partition rules)`,
        commands: [heal.command],
        verify: heal.verify,
      });
    });
    return {
      action: 'partition',
      summary: `isolate ${target.map((m) => m.name).join(', ')} from ${step.from === 'peers' ? 'its peers' : from.map((m) => m.name).join(', ')}`,
      targets: target.map((m) => m.name),
      ops,
      undo,
      effects: target.map((m) => ({ kind: 'isolate', master: m.name })),
    };
  },
};
