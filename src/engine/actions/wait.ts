/** wait: let time pass (on the harness, nothing remote). */
import { parseDuration } from '../../text/duration.js';
import type { ActionDefinition, StepOf } from './types.js';

export const wait: ActionDefinition<StepOf<'wait'>> = {
  description: 'wait a fixed time',
  targets: () => ({}),
  render: (step) => ({
    action: 'wait',
    summary: `wait ${step.duration}`,
    targets: [],
    ops: [],
    undo: [],
    effects: [],
    wait: { seconds: parseDuration(step.duration) },
  }),
};
