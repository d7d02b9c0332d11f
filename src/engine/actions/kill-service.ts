/**
 * killService: a crash (SIGKILL by default), a TERM, or a freeze (STOP); undo brings it back.
 * `keepDown` keeps it down until restore, as on a dead machine (nothing restarts it meanwhile).
 */
import { UsageError } from '../../errors.js';
import type { ActionDefinition, StepOf } from './types.js';
import { renderServiceAction } from './service-action.js';

export const killService: ActionDefinition<StepOf<'killService'>> = {
  description: 'kill a control-plane service with a signal (undo: thaw or start it)',
  targets: (step) => ({ target: step.target }),
  render: (step, { target }, ctx) => {
    if (!step.keepDown)
      return renderServiceAction(
        'killService',
        `kill -s ${step.signal}`,
        step.service,
        target,
        ctx,
        (s) => s.kill(step.service, step.signal),
        (s) => s.afterKill(step.service, step.signal),
        'down',
      );
    const signal = step.signal;
    if (signal === 'STOP')
      throw new UsageError(
        'killService: keepDown needs signal KILL or TERM (a frozen process is not restarted anyway)',
      );
    return renderServiceAction(
      'killService',
      `kill -s ${signal} (kept down)`,
      step.service,
      target,
      ctx,
      (s) => s.killKeepDown(step.service, signal),
      (s) => s.afterKeepDown(step.service),
      'down',
      (s) => s.keepDownUndone(step.service),
    );
  },
};
