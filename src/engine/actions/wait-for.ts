/** waitFor: wait until a condition holds, at most the step's timeout (default 60s). */
import { parseDuration } from '../../text/duration.js';
import { describeCondition } from '../conditions.js';
import type { ActionDefinition, StepOf } from './types.js';

export const DEFAULT_WAIT_FOR_TIMEOUT = '60s';

export const waitFor: ActionDefinition<StepOf<'waitFor'>> = {
  description: 'wait until a condition holds',
  targets: () => ({}),
  render: (step) => {
    const timeout = step.timeout ?? DEFAULT_WAIT_FOR_TIMEOUT;
    return {
      action: 'waitFor',
      summary: `wait for ${describeCondition(step.condition)} (at most ${timeout})`,
      targets: [],
      ops: [],
      undo: [],
      effects: [],
      waitFor: { condition: step.condition, timeoutS: parseDuration(timeout) },
    };
  },
};
