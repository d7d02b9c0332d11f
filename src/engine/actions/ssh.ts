/** ssh: a raw command written by the drill author (not quoted: they wrote it), with its undo. */
import type { ActionDefinition, StepOf } from './types.js';

export const ssh: ActionDefinition<StepOf<'ssh'>> = {
  description: 'run a shell command on the target (undo: the step’s own undo command)',
  targets: (step) => ({ target: step.target }),
  render: (step, { target }, ctx) => ({
    action: 'ssh',
    summary: `run \`${step.command}\` on ${target.map((m) => m.name).join(', ')}`,
    targets: target.map((m) => m.name),
    ops: target.map((m) => ({ master: m.name, command: step.command })),
    undo: step.undo
      ? target.map((m, n) => ({
          id: `${ctx.phase}-${ctx.index}.${n}`,
          master: m.name,
          description: `undo of \`${step.command}\` on ${m.name}`,
          commands: [step.undo as string],
        }))
      : [],
    // A raw command's effect is unknown to the guardrails: they count only what they understand.
    effects: [],
  }),
};
