/** The fault: resolves each step's targets now, journals its undo, runs it. */
import { errorMessage } from '../../errors.js';
import { undoNotNeeded } from '../as-found.js';
import { recordFaults } from '../fault/record.js';
import {
  armSwitch,
  chooseSwitch,
  describeSwitch,
  disarmSwitch,
  writeMasterCopy,
} from '../dead-man-switch.js';
import { masterCopyPath, type MasterCopy } from '../master-journal.js';
import { resolveAndRender } from '../plan.js';
import { runStep } from '../step-runner.js';
import type { RenderedStep, UndoSpec } from '../types.js';
import { unchangedAfterFailure } from '../unit-check.js';
import { masterCopyOf } from './restore-copies.js';
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
    // as found: a service that was not running before the drill is not started by an undo
    const notNeeded = undoNotNeeded(rendered, s.servicesBefore);
    if (notNeeded.size) {
      const skipped = rendered.undo.filter((u) => notNeeded.has(u.id)).map((u) => u.master);
      rendered = { ...rendered, undo: rendered.undo.filter((u) => !notNeeded.has(u.id)) };
      run.ports.progress.info(
        `as found: no undo on ${skipped.join(', ')}: not running there before the drill`,
      );
    }
    // The switch is armed and the undo is on disk before the fault: a SIGKILL from here on
    // leaves the master to heal itself and the journal for `recover`.
    const unarmed = await armSwitches(run, rendered);
    if (unarmed) {
      error = `inject step ${index + 1} refused (nothing injected): ${unarmed}`;
      break;
    }
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
        for (const u of rendered.undo) {
          s.journal?.mark(u.id, 'done', 'not needed: the step failed before it took effect');
          await disarm(run, u);
        }
      error = `inject step ${index + 1} failed: ${rec.error}`;
      break;
    }
    if (s.tInject === null && rendered.ops.length) s.tInject = rec.endT;
    // t_fault: when the fault took effect on each master, by its own clock and systemd's records
    if (rec.brackets?.length)
      await recordFaults(run.faultDeps(), step, index, rec.brackets, { start: rec.startT, end: rec.endT });
  }
  run.phase('inject', 'end', error === null, error ?? undefined);
  return error;
}

/**
 * Arms a dead-man's switch for each undo of the step and journals the undo with it; returns
 * why one could not be armed (the step must not run), or null.
 */
async function armSwitches(run: Run, rendered: RenderedStep): Promise<string | null> {
  const { state: s, input, ports } = run;
  for (const u of rendered.undo) {
    const choice = chooseSwitch(input.drill, input.inventory, input.runId, u);
    // a copy of the record on the master, for `recover --from-masters` from any machine
    u.copy = masterCopyPath(input.runId, u.id);
    const copy = (): MasterCopy => masterCopyOf(run, u);
    if (!('spec' in choice)) {
      const failed = await writeMasterCopy(ports.remote, input.inventory, u, copy());
      if (failed) {
        delete u.copy;
        ports.progress.warn(`no copy of the journal on ${u.master}: ${failed}`);
      }
      s.journal?.add(u);
      continue;
    }
    u.switch = { ...choice.spec, armedAt: ports.clock.wallTime() };
    const failed = await armSwitch(ports.remote, input.inventory, choice.spec, u, copy());
    if (failed) {
      delete u.switch;
      // the switches already armed for this step heal nothing: take them back
      for (const armed of rendered.undo) {
        if (armed === u) break;
        s.journal?.mark(armed.id, 'done', 'not needed: the step was refused');
        await disarm(run, armed);
      }
      return `could not arm its dead-man's switch on ${u.master}: ${failed}`;
    }
    const armed = `${describeSwitch(choice)} (armed on ${u.master})`;
    run.mark('note', armed);
    ports.progress.info(armed);
    s.journal?.add(u);
  }
  return null;
}

/** Disarms the switch of an undo that is no longer needed; a failure is said, not fatal. */
export async function disarm(run: Run, u: UndoSpec): Promise<void> {
  const failed = await disarmSwitch(run.ports.remote, run.input.inventory, u);
  if (failed) {
    const note = `could not disarm the dead-man's switch ${u.switch?.unit} on ${u.master}: ${failed} (it runs the undo again when it fires; \`systemctl stop ${u.switch?.unit}.timer\` cancels it)`;
    run.state.infrastructure.push(note);
    run.mark('note', note);
    run.ports.progress.warn(note);
  }
}
