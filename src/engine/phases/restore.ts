/**
 * Putting the cluster back: every journaled undo, newest first, retried and verified; then the
 * drill's restore steps; then the services compared with what ran before the fault. The "as
 * found" check is journaled before the first undo and each restore step right before it runs
 * (restore-journal.ts), so a harness killed in the middle leaves them to `kha-drill recover`.
 */
import { errorMessage } from '../../errors.js';
import type { StepRecord } from '../../report/result.js';
import type { NewEvent } from '../../timeline/events.js';
import type { UndoSpec } from '../types.js';
import type { Journal } from '../journal.js';
import { resolveAndRender } from '../plan.js';
import { startOnlyAsFound } from '../as-found.js';
import { describeUndo } from '../describe.js';
import { replayUndo } from '../restore.js';
import { runStep } from '../step-runner.js';
import { compareServices } from './compare-services.js';
import { describeSwitchDeadline, restoreBackoffMs } from '../dead-man-switch.js';
import { disarm } from './inject.js';
import { asFoundUndos, restoreStepUndos } from '../restore-journal.js';
import { journalWithCopies } from './restore-copies.js';
import type { Run } from './state.js';

/** Runs once anything was journaled; leaves `restoreOk` and `restorePending` in the state. */
export async function restorePhase(run: Run): Promise<void> {
  const { state: s, input, ports, tuning } = run;
  const { drill, inventory } = input;
  const { timeline, progress } = ports;
  const journal = s.journal as Journal;
  s.restoring = true;
  run.phase('restore', 'start');
  s.tRestore = timeline.now();
  const undos = [...journal.pending()].filter((u) => !u.stage).reverse();
  // before the first undo: what must run again once the faults are undone (recover's last step)
  const found = s.injected ? asFoundUndos(inventory, s.servicesBefore) : [];
  await journalWithCopies(run, found);
  for (const [i, u] of undos.entries()) {
    const startT = timeline.now();
    const ev: NewEvent = {
      kind: 'step',
      phase: 'restore',
      index: i,
      action: 'undo',
      targets: [u.master],
      state: 'start',
    };
    timeline.append(ev);
    progress.start(`restore: ${u.description}`);
    const failures: string[] = [];
    const r = await replayUndo(u, inventory, ports.remote, {
      sleep: ports.clock.sleep,
      backoffMs: tuning.restoreBackoffMs ?? restoreBackoffMs(drill),
      ...(tuning.verifyTimeoutS !== undefined ? { verifyTimeoutS: tuning.verifyTimeoutS } : {}),
      onAttempt: (n, e) => {
        failures.push(e);
        progress.warn(`restore attempt ${n} failed: ${e}; retrying`);
      },
    });
    if (r.ok && failures.length) {
      const note = `restore (${describeUndo(u)}) succeeded on attempt ${r.attempts} after ${failures.length} failed: ${failures[0]}`;
      s.infrastructure.push(note);
      run.mark('note', note);
    }
    journal.mark(u.id, r.ok ? 'done' : 'failed', r.error);
    // verified: the switch is no longer needed. Not verified: it stays armed, one more chance.
    if (r.ok) await disarm(run, u);
    const end: NewEvent = { ...ev, state: 'end', ok: r.ok, command: r.command };
    if (r.error) end.error = r.error;
    timeline.append(end);
    progress.end(`restore: ${u.description}`, r.ok, r.ok ? `verified (attempt ${r.attempts})` : r.error);
    s.steps.push({
      phase: 'restore',
      index: i,
      action: 'undo',
      targets: [u.master],
      host: inventory.masters.find((m) => m.name === u.master)?.host ?? u.master,
      command: r.command,
      startT,
      endT: timeline.now(),
      ok: r.ok,
      attempts: r.attempts,
      ...(r.error ? { error: r.error } : {}),
      ...(r.output ? { output: r.output } : {}),
    });
    if (!r.ok) s.restoreOk = false;
  }
  if (s.injected) {
    for (const [n, step] of drill.restore.entries()) {
      const index = undos.length + n;
      const targetSpec = 'target' in step ? step.target : undefined;
      let rec: StepRecord;
      try {
        const { rendered } = await resolveAndRender(
          step,
          n,
          'restore',
          inventory,
          run.targetContext(),
          input.runId,
        );
        const found = startOnlyAsFound(rendered, s.servicesBefore);
        if (found.left.length) {
          const note = `as found: left stopped what was not running before the drill: ${found.left.join(', ')}`;
          run.mark('note', note);
          progress.info(note);
        }
        const journaled = restoreStepUndos(found.step, n);
        await journalWithCopies(run, journaled);
        rec = await runStep(run.runner, {
          step,
          rendered: found.step,
          index,
          phase: 'restore',
          targetSpec,
          interruptible: false,
        });
        await settle(run, journaled, rec.ok, rec.error);
      } catch (err) {
        const t = timeline.now();
        rec = {
          phase: 'restore',
          index,
          action: step.action,
          targets: [],
          startT: t,
          endT: t,
          ok: false,
          error: errorMessage(err),
        };
        progress.end(`restore ${index + 1}: ${step.action}`, false, rec.error);
      }
      s.steps.push(rec);
      if (!rec.ok) s.restoreOk = false;
    }
  }
  if (s.injected) {
    const lost = await compareServices(run);
    // the "as found" check of each master: done, or pending for `recover` with what it lacks
    for (const u of found) {
      const missing = lost.filter((l) => l.master === u.master).map((l) => l.component);
      await settle(
        run,
        [u],
        missing.length === 0,
        `not active after restore (active before the drill): ${missing.join(', ')}`,
      );
    }
  }
  const nowMs = Date.parse(ports.clock.wallTime());
  s.restorePending = [
    ...journal.pending().map((e) => `${describeUndo(e)}: ${e.commands.join(' && ')} (${healedBy(e, nowMs)})`),
    ...s.restorePending,
  ];
  if (!s.restoreOk && s.restorePending.length === 0) {
    const failed = s.steps
      .filter((x) => x.phase === 'restore' && !x.ok)
      .map((x) => `restore step ${x.index + 1} (${x.action}): ${x.error}`);
    s.restorePending = failed.length ? failed : ['a restore step failed'];
  }
  run.phase(
    'restore',
    'end',
    s.restoreOk,
    s.restoreOk ? undefined : `${s.restorePending.length} not restored`,
  );
  journal.close();
  s.restoring = false;
}

/** Journal entries that ran: done (and their copies on the masters marked so), or left pending as failed. */
async function settle(run: Run, entries: UndoSpec[], ok: boolean, error?: string): Promise<void> {
  const journal = run.state.journal as Journal;
  for (const u of entries) journal.mark(u.id, ok ? 'done' : 'failed', ok ? undefined : error);
  if (ok) await Promise.all(entries.map((u) => disarm(run, u)));
}

/** What will still put an entry back once restore gave up: its switch (with its time), `recover`. */
function healedBy(e: Parameters<typeof describeSwitchDeadline>[0], nowMs: number): string {
  const recover = '`kha-drill recover -i <inventory>` replays it';
  const deadline = describeSwitchDeadline(e, nowMs);
  return deadline ? `${deadline}; ${recover}` : `no dead-man's switch; ${recover}`;
}
