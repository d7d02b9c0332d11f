/** startService: start a service (nothing to undo). */
import type { ActionDefinition, StepOf } from './types.js';
import { renderServiceAction } from './service-action.js';

export const startService: ActionDefinition<StepOf<'startService'>> = {
  description: 'start a control-plane service',
  targets: (step) => ({ target: step.target }),
  render: (step, { target }, ctx) =>
    renderServiceAction(
      'startService',
      'start',
      step.service,
      target,
      ctx,
      (s) => s.start(step.service),
      null,
      'up',
    ),
};
