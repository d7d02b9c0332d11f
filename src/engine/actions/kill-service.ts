/** killService: a crash (SIGKILL by default), a TERM, or a freeze (STOP); undo brings it back. */
import type { ActionDefinition, StepOf } from './types.js';
import { renderServiceAction } from './service-action.js';

export const killService: ActionDefinition<StepOf<'killService'>> = {
  description: 'kill a control-plane service with a signal (undo: thaw or start it)',
  targets: (step) => ({ target: step.target }),
  render: (step, { target }, ctx) =>
    renderServiceAction(
      'killService',
      `kill -s ${step.signal}`,
      step.service,
      target,
      ctx,
      (s) => s.kill(step.service, step.signal),
      (s) => s.afterKill(step.service, step.signal),
      'down',
    ),
};
