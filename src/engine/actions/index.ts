/** The action registry: one definition per action of schema.ts's actionParams. */
import type { ActionName, Step } from '../../config/schema.js';
import type { RenderContext, RenderedStep } from '../types.js';
import { heal } from './heal.js';
import { killService } from './kill-service.js';
import { partition } from './partition.js';
import { restartService } from './restart-service.js';
import { ssh } from './ssh.js';
import { startService } from './start-service.js';
import { stopService } from './stop-service.js';
import type { ActionDefinition, ResolvedTargets, StepOf } from './types.js';
import { wait } from './wait.js';
import { waitFor } from './wait-for.js';

export const ACTIONS = {
  ssh,
  stopService,
  startService,
  restartService,
  killService,
  partition,
  heal,
  wait,
  waitFor,
} satisfies { [A in ActionName]: ActionDefinition<StepOf<A>> };

export function actionFor<S extends Step>(step: S): ActionDefinition<S> {
  return ACTIONS[step.action] as unknown as ActionDefinition<S>;
}

export function renderStep(step: Step, resolved: ResolvedTargets, ctx: RenderContext): RenderedStep {
  return actionFor(step).render(step, resolved, ctx);
}

export type { ActionDefinition, ResolvedTargets } from './types.js';
export { partitionComment } from './iptables.js';
