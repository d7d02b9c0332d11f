/** restartService: restart a service; journaled undo makes sure it ends up running. */
import type { ActionDefinition, StepOf } from './types.js';
import { renderServiceAction } from './service-action.js';

export const restartService: ActionDefinition<StepOf<'restartService'>> = {
  description: 'restart a control-plane service (undo: make sure it runs)',
  targets: (step) => ({ target: step.target }),
  render: (step, { target }, ctx) =>
    renderServiceAction(
      'restartService',
      'restart',
      step.service,
      target,
      ctx,
      (s) => s.restart(step.service),
      (s) => s.start(step.service),
      null,
    ),
};
