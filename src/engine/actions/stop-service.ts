/**
 * stopService: graceful stop (or, with `wait: false`, its beginning); undo starts it again on the
 * same master (a start queued behind a stop still running waits for it).
 */
import type { ActionDefinition, StepOf } from './types.js';
import { renderServiceAction } from './service-action.js';

export const stopService: ActionDefinition<StepOf<'stopService'>> = {
  description: 'stop a control-plane service gracefully (undo: start it)',
  targets: (step) => ({ target: step.target }),
  render: (step, { target }, ctx) =>
    renderServiceAction(
      'stopService',
      'stop',
      step.service,
      target,
      ctx,
      (s) => s.stop(step.service, { wait: step.wait }),
      (s) => s.start(step.service),
      'down',
    ),
};
