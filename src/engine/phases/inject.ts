/** The fault: resolves each step's targets now, journals its undo, runs it. */
import { errorMessage } from '../../errors.js';
import { resolveAndRender } from '../plan.js';
import { runStep } from '../step-runner.js';
import type { RenderedStep } from '../types.js';
import { unchangedAfterFailure } from '../unit-check.js';
import type { Run } from './state.js';

/** Runs the drill's inject steps in order; returns the error that stopped them, or null. */
export async function injectPhase(run: Run): Promise<string | null> {
  const { state: s, input } = run;
  run.phase('inject', 'start');
  let error: string | null = null;
  for (const [index, step] of input.drill.inject.entries()) {
    if (s.stop.signal.aborted) break;
    const targetSpec = 'target' in step ? step.target : undefined;
    let rendered: RenderedStep;
    try {
      rendered = (
        await resolveAndRender(step, index, 'inject', input.inventory, run.targetContext(), input.runId)
      ).rendered;
    } catch (err) {
      error = `inject step ${index + 1} (${step.action}${targetSpec ? ` ${targetSpec}` : ''}): ${errorMessage(err)}`;
      break;
    }
    if (targetSpec) s.targets[targetSpec] = rendered.targets;
    if (step.id) s.stepTargets.set(step.id, rendered.targets);
    // The undo is on disk before the fault: a SIGKILL from here on leaves it for `recover`.
    for (const u of rendered.undo) s.journal?.add(u);
    if (rendered.ops.length) s.injected = true;
    const rec = await runStep(run.runner, {
      step,
      rendered,
      index,
      phase: 'inject',
      targetSpec,
      interruptible: true,
    });
    s.steps.push(rec);
    if (!rec.ok) {
      // a step that failed before it took effect leaves nothing to restore (nor to `recover`)
      if (
        rendered.undo.length &&
        (await unchangedAfterFailure(rendered, input.inventory, run.ports.remote, s.servicesBefore))
      )
        for (const u of rendered.undo)
          s.journal?.mark(u.id, 'done', 'not needed: the step failed before it took effect');
      error = `inject step ${index + 1} failed: ${rec.error}`;
      break;
    }
    if (s.tInject === null && rendered.ops.length) s.tInject = rec.endT;
  }
  run.phase('inject', 'end', error === null, error ?? undefined);
  return error;
}
