/** What one action is: which targets it needs resolved, and how it renders for them. */
import type { Master, Step } from '../../config/schema.js';
import type { RenderContext, RenderedStep } from '../types.js';

export interface ResolvedTargets {
  /** the step's `target` */
  target: Master[];
  /** partition's `from` list (empty for 'peers' and other actions) */
  from: Master[];
}

export interface ActionDefinition<S extends Step> {
  /** one line for `plan` and help */
  description: string;
  /** symbolic targets to resolve: the step's own and extra ones (partition `from`) */
  targets(step: S): { target?: string; from?: string[] };
  /** the exact commands, undo and effects for these resolved targets; pure */
  render(step: S, resolved: ResolvedTargets, ctx: RenderContext): RenderedStep;
}

export type StepOf<A extends Step['action']> = Extract<Step, { action: A }>;
