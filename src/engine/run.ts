/**
 * One drill run: preflight → steadyState → inject → observe → restore → evaluate, every phase
 * on the timeline. Restore always runs once anything was journaled: after success, SLO failure,
 * timeout, SSH errors, abort, Ctrl-C and SIGTERM. I/O comes in through `RunDeps`, so the whole
 * orchestration runs in tests against in-memory fakes.
 */
import { parseDuration } from '../config/duration.js';
import { ExitCode, KhaError, errorMessage } from '../errors.js';
import type { MetricResult } from '../metrics/types.js';
import { REPORT_SCHEMA_VERSION, type RunResult, type StepRecord, type Verdict } from '../report/result.js';
import { evaluateAbort, evaluateSlos } from '../slo/evaluate.js';
import type { NewEvent, Phase } from '../timeline/events.js';
import { aborted } from '../time/sleep.js';
import {
  checkCondition,
  describeCondition,
  waitForCondition,
  type Baseline,
  type ConditionDeps,
} from './conditions.js';
import type { RunDeps } from './deps.js';
import { Journal } from './journal.js';
import { describeUndo } from './describe.js';
import { decideOutcome, type OutcomeInput } from './outcome.js';
import { unchangedAfterFailure } from './unit-check.js';
import { notEvaluated } from './verdicts.js';
import { resolveAndRender } from './plan.js';
import { captureBaseline, preflight, StopBeforeInject, watchersReady } from './preflight.js';
import { replayUndo } from './restore.js';
import { pauseWith, realSleep } from './sleep.js';
import {
  lostServices,
  restartUndo,
  snapshotServices,
  type LostService,
  type ServiceSnapshot,
} from './service-snapshot.js';
import { runStep, type StepRunner } from './step-runner.js';
import type { TargetContext } from './targets/index.js';
import type { RenderedStep } from './types.js';

export type { RunDeps, RunTimeline } from './deps.js';

type MarkKind = 'until-met' | 'abort' | 'timeout' | 'interrupted' | 'note';

/** The mutable state of one run, shared by its phases. */
class RunState {
  readonly steps: StepRecord[] = [];
  readonly errors: string[] = [];
  readonly targets: Record<string, string[]> = {};
  readonly stepTargets = new Map<string, string[]>();
  /** aborted on the first interrupt or a firing abort condition: stop injecting and observing */
  readonly stop = new AbortController();
  baseline: Baseline = { leases: new Map() };
  interrupts = 0;
  interruptedBy: string | null = null;
  abortMessage: string | null = null;
  tInject: number | null = null;
  tRestore: number | null = null;
  untilMet: boolean | null = null;
  journal: Journal | null = null;
  restoring = false;
  restoreOk = true;
  restorePending: string[] = [];
  /** a remote inject command was attempted: evaluation and the drill's restore steps apply */
  injected = false;
  notInjected: string | undefined;
  stoppedBefore: OutcomeInput['stoppedBefore'];
  /** services running before the fault, compared after restore */
  servicesBefore: ServiceSnapshot = new Map();
  /** what happened to the infrastructure (SSH refused, then recovered…): said in the verdict */
  readonly infrastructure: string[] = [];
}

export async function runDrill(deps: RunDeps): Promise<RunResult> {
  const { drill, inventory, timeline, progress, remote, view } = deps;
  const sleep = deps.sleep ?? realSleep;
  const pause = pauseWith(deps.sleep);
  const startedAt = new Date().toISOString();
  const s = new RunState();

  const mark = (m: MarkKind, message: string) => timeline.append({ kind: 'mark', mark: m, message });
  const phase = (p: Phase, state: 'start' | 'end', ok?: boolean, message?: string) => {
    const e: NewEvent = { kind: 'phase', phase: p, state };
    if (ok !== undefined) e.ok = ok;
    if (message !== undefined) e.message = message;
    timeline.append(e);
    if (state === 'start') progress.start(p);
    else progress.end(p, ok ?? true, message);
  };
  const conditions = (): ConditionDeps => ({
    inventory,
    view,
    remote,
    baseline: s.baseline,
    events: () => timeline.events(),
    sleep,
    now: () => timeline.now(),
  });
  const runner: StepRunner = {
    inventory,
    remote,
    timeline,
    progress,
    conditions,
    sleep,
    pause,
    stop: s.stop.signal,
  };
  const targetContext = (): TargetContext => ({
    inventory,
    view,
    stepTargets: s.stepTargets,
    random: deps.random ?? Math.random,
  });

  // First signal: stop and restore. Later ones: say what is still pending and keep waiting.
  const onInterrupt = (sig: 'SIGINT' | 'SIGTERM') => () => {
    s.interrupts++;
    if (s.interrupts === 1) {
      s.interruptedBy = sig;
      mark('interrupted', `${sig}: stopping, restoring what was injected`);
      progress.warn(`${sig} received: stopping and restoring (Ctrl-C again shows what is still pending)`);
      s.stop.abort();
      return;
    }
    const pending = s.journal?.pending().map(describeUndo) ?? [];
    const list = pending.length ? pending.join('; ') : 'the drill’s restore steps';
    progress.warn(
      s.restoring
        ? `still restoring, please wait. Pending: ${list}`
        : pending.length
          ? `stopping after the step now running, then restoring. Pending: ${list}`
          : 'stopping; nothing injected is pending',
    );
  };
  const offInt = deps.onSignal('SIGINT', onInterrupt('SIGINT'));
  const offTerm = deps.onSignal('SIGTERM', onInterrupt('SIGTERM'));

  timeline.append({
    kind: 'run',
    runId: deps.runId,
    drill: drill.metadata.name,
    cluster: inventory.metadata.name,
    wallTime: '',
    harnessVersion: deps.harnessVersion,
    masters: inventory.masters.map((m) => ({
      name: m.name,
      nodeName: m.nodeName,
      host: m.host,
      etcd: m.etcd,
      apiserver: m.apiserver,
    })),
    leaderElection: deps.timings,
  });

  // assigned inside the pre-fault setup below, so TypeScript must not narrow it to null
  let stopWatchers = null as (() => Promise<void>) | null;
  let releaseLock: (() => void) | null = null;
  try {
    phase('preflight', 'start');
    phase('preflight', 'end', true, await preflight(deps, (release) => (releaseLock = release)));

    // While the steady-state checks run (leaseHeld waits for a renewal), the watchers start and
    // the services are snapshotted: both only read. The pre-fault baseline waits for the checks.
    const setupDone = new AbortController();
    const watching = (async () => {
      stopWatchers = await deps.startWatchers();
      await watchersReady(
        drill,
        inventory,
        timeline,
        sleep,
        progress,
        deps.watcherReadyTimeoutS ?? 10,
        AbortSignal.any([setupDone.signal, s.stop.signal]),
      );
    })();
    // settled, both: the watchers must not start after a failure has been cleaned up
    const setup = Promise.allSettled([snapshotServices(inventory, remote), watching]);
    let steadyError: unknown = null;
    try {
      await steadyStatePhase();
    } catch (err) {
      steadyError = err;
      setupDone.abort();
    }
    const [servicesBefore, watched] = await setup;
    if (steadyError !== null) throw steadyError;
    if (s.stop.signal.aborted) {
      throw new StopBeforeInject(
        'E_INTERRUPTED',
        ExitCode.Infrastructure,
        `interrupted by ${s.interruptedBy} before anything was injected`,
      );
    }
    for (const r of [servicesBefore, watched]) if (r.status === 'rejected') throw r.reason;
    if (servicesBefore.status === 'fulfilled') s.servicesBefore = servicesBefore.value;
    s.baseline = await captureBaseline(drill, view);
    s.journal = Journal.create(deps.env, {
      cluster: inventory.metadata.name,
      runId: deps.runId,
      drill: drill.metadata.name,
      runDir: deps.runDir,
    });

    const injectError = await injectPhase();
    if (injectError) {
      if (s.injected) s.errors.push(injectError);
      else s.notInjected = injectError;
    } else if (!s.stop.signal.aborted) {
      await observePhase();
    }
  } catch (err) {
    if (err instanceof KhaError && !s.injected) {
      // Nothing was injected: report why and leave (no restore needed).
      const outcome =
        err.exitCode === ExitCode.NotSteady
          ? 'not-steady'
          : err.code === 'E_INTERRUPTED'
            ? 'interrupted'
            : 'error';
      s.stoppedBefore = { outcome, exitCode: err.exitCode, message: err.message };
      s.errors.push(err.message + (err.hint ? `\nhint: ${err.hint}` : ''));
      const open = timeline
        .events()
        .filter((e) => e.kind === 'phase')
        .pop();
      if (open?.kind === 'phase' && open.state === 'start')
        phase(open.phase, 'end', false, err.message.split('\n')[0]);
    } else {
      s.errors.push(`internal error: ${errorMessage(err)}`);
    }
  }

  if (s.journal) await restorePhase();

  if (stopWatchers) {
    try {
      await stopWatchers();
    } catch (err) {
      s.errors.push(`stopping watchers: ${errorMessage(err)}`);
    }
  }

  let metrics: MetricResult[] = [];
  let verdicts: Verdict[] = [];
  if (s.injected) {
    phase('evaluate', 'start');
    try {
      metrics = deps.computeMetrics(timeline.events());
      verdicts = evaluateSlos(drill.slo, metrics, deps.timings);
    } catch (err) {
      s.errors.push(`evaluating: ${errorMessage(err)}`);
    }
    phase('evaluate', 'end', true);
  } else if (!s.stoppedBefore && !s.notInjected) {
    // the inject phase ran but touched no master: there was no fault to measure
    verdicts = notEvaluated(drill.slo, 'no inject step acted on a master, so there was no fault to measure');
  }
  offInt();
  offTerm();
  (releaseLock as (() => void) | null)?.();

  const { outcome, exitCode, summary } = decideOutcome({
    ...(s.stoppedBefore ? { stoppedBefore: s.stoppedBefore } : {}),
    ...(s.notInjected ? { notInjected: s.notInjected } : {}),
    restoreOk: s.restoreOk,
    restorePending: s.restorePending,
    interruptedBy: s.interruptedBy,
    abortMessage: s.abortMessage,
    errors: s.errors,
    verdicts,
    sloCount: drill.slo.length,
    untilMet: s.untilMet,
    infrastructure: s.infrastructure,
    untilText: drill.observe.until ? describeCondition(drill.observe.until) : null,
    observeTimeout: drill.observe.timeout,
  });
  if (s.notInjected) s.errors.push(s.notInjected);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    harnessVersion: deps.harnessVersion,
    runId: deps.runId,
    drill: {
      name: drill.metadata.name,
      description: drill.metadata.description,
      tags: drill.metadata.tags,
      file: deps.drillFile,
      digest: deps.drillDigest,
    },
    inventory: {
      cluster: inventory.metadata.name,
      file: deps.inventoryFile,
      digest: deps.inventoryDigest,
      masters: inventory.masters.map((m) => m.name),
    },
    startedAt,
    endedAt: new Date().toISOString(),
    durationS: timeline.now(),
    tInject: s.tInject,
    tRestore: s.tRestore,
    targets: s.targets,
    steps: s.steps,
    metrics,
    verdicts,
    restore: { ok: s.restoreOk, pending: s.restoreOk ? [] : s.restorePending },
    outcome,
    exitCode,
    summary,
    errors: s.errors,
  };

  /** The drill's steady-state checks in order; throws (exit 3) at the first one not met. */
  async function steadyStatePhase(): Promise<void> {
    phase('steadyState', 'start');
    for (const c of drill.steadyState) {
      if (s.stop.signal.aborted) break;
      const r = await checkCondition(c, conditions());
      progress.end(`steady: ${describeCondition(c)}`, r.ok, r.detail);
      if (!r.ok) {
        throw new StopBeforeInject(
          'E_NOT_STEADY',
          ExitCode.NotSteady,
          `steady state not met: ${describeCondition(c)}: ${r.detail}`,
        );
      }
    }
    phase('steadyState', 'end', true);
  }

  /** Resolves each step's targets now, journals its undo, runs it. Returns an error or null. */
  async function injectPhase(): Promise<string | null> {
    phase('inject', 'start');
    let error: string | null = null;
    for (const [index, step] of drill.inject.entries()) {
      if (s.stop.signal.aborted) break;
      const targetSpec = 'target' in step ? step.target : undefined;
      let rendered: RenderedStep;
      try {
        rendered = (await resolveAndRender(step, index, 'inject', inventory, targetContext(), deps.runId))
          .rendered;
      } catch (err) {
        error = `inject step ${index + 1} (${step.action}${targetSpec ? ` ${targetSpec}` : ''}): ${errorMessage(err)}`;
        break;
      }
      if (targetSpec) s.targets[targetSpec] = rendered.targets;
      if (step.id) s.stepTargets.set(step.id, rendered.targets);
      // The undo is on disk before the fault: a SIGKILL from here on leaves it for `recover`.
      for (const u of rendered.undo) s.journal?.add(u);
      if (rendered.ops.length) s.injected = true;
      const rec = await runStep(runner, {
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
          (await unchangedAfterFailure(rendered, inventory, remote, s.servicesBefore))
        )
          for (const u of rendered.undo)
            s.journal?.mark(u.id, 'done', 'not needed: the step failed before it took effect');
        error = `inject step ${index + 1} failed: ${rec.error}`;
        break;
      }
      if (s.tInject === null && rendered.ops.length) s.tInject = rec.endT;
    }
    phase('inject', 'end', error === null, error ?? undefined);
    return error;
  }

  /** Until the drill's condition holds (then settle) or its timeout; abort conditions checked live. */
  async function observePhase(): Promise<void> {
    phase('observe', 'start');
    const stop = s.stop.signal;
    const timeoutS = parseDuration(drill.observe.timeout);
    const observeStart = timeline.now();
    const done = new AbortController();
    // one listener for the whole observe: a fresh `aborted()` per tick would pile them up
    const observeDone = aborted(done.signal);
    const abortLoop = (async () => {
      while (!stop.aborted && !done.signal.aborted && drill.abort.length > 0) {
        await Promise.race([pause(deps.abortIntervalMs ?? 500, stop), observeDone]);
        if (stop.aborted || done.signal.aborted) break;
        let fired: string | null = null;
        try {
          fired = evaluateAbort(drill.abort, deps.computeMetrics(timeline.events()), deps.timings);
        } catch (err) {
          progress.warn(`abort conditions could not be evaluated: ${errorMessage(err)}`);
        }
        if (fired) {
          s.abortMessage = fired;
          mark('abort', fired);
          progress.warn(`abort: ${fired}; restoring now`);
          s.stop.abort();
        }
      }
    })();
    const until = drill.observe.until;
    if (until) {
      const r = await Promise.race([
        waitForCondition(until, conditions(), {
          timeoutS,
          intervalMs: 200,
          onWait: (what, el, bound, detail) => progress.wait(what, el, bound, detail),
          stopped: () => (stop.aborted ? (s.abortMessage ?? 'interrupted') : null),
        }),
        aborted(stop).then(() => null),
      ]);
      if (r?.ok) {
        s.untilMet = true;
        mark(
          'until-met',
          `${describeCondition(until)}: ${r.detail} after ${(timeline.now() - observeStart).toFixed(2)} s`,
        );
        await pause(parseDuration(drill.observe.settle) * 1000, stop);
      } else if (!stop.aborted) {
        s.untilMet = false;
        mark(
          'timeout',
          `${describeCondition(until)} not met within ${drill.observe.timeout}${r ? `: ${r.detail}` : ''}`,
        );
      }
    } else {
      await pause(timeoutS * 1000, stop);
    }
    done.abort();
    await abortLoop;
    const why =
      s.abortMessage ??
      (s.interruptedBy
        ? `interrupted by ${s.interruptedBy}`
        : s.untilMet === false
          ? 'timed out'
          : undefined);
    phase('observe', 'end', s.untilMet !== false && !s.abortMessage && !s.interruptedBy, why);
  }

  /**
   * Every service that ran before the fault must run after restore (systemd may need a moment
   * to restart one); anything else is reported as not restored.
   */
  async function compareServices(): Promise<void> {
    const boundS = deps.servicesSettleS ?? 20;
    const start = timeline.now();
    let lost: LostService[] = [];
    const names = (): string => lost.map((l) => `${l.component} on ${l.master}`).join(', ');
    for (;;) {
      lost = lostServices(s.servicesBefore, await snapshotServices(inventory, remote));
      const elapsed = timeline.now() - start;
      if (lost.length === 0 || elapsed >= boundS) break;
      progress.wait(
        'every service that ran before the drill to run again',
        elapsed,
        boundS,
        `not active: ${names()}`,
      );
      await sleep(1000);
    }
    if (lost.length === 0) return;
    s.restoreOk = false;
    // pending in the journal (and so in the restore's pending list): `kha-drill recover` starts them
    for (const [n, l] of lost.entries()) s.journal?.add(restartUndo(inventory, l, n));
    const msg = `not as found: ${names()} not active after restore (active before the drill)`;
    mark('note', msg);
    progress.warn(msg);
  }

  /** Every journaled undo, newest first, retried and verified; then the drill's restore steps. */
  async function restorePhase(): Promise<void> {
    const journal = s.journal as Journal;
    s.restoring = true;
    phase('restore', 'start');
    s.tRestore = timeline.now();
    const undos = [...journal.pending()].reverse();
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
      const r = await replayUndo(u, inventory, remote, {
        sleep,
        ...(deps.restoreBackoffMs ? { backoffMs: deps.restoreBackoffMs } : {}),
        ...(deps.verifyTimeoutS !== undefined ? { verifyTimeoutS: deps.verifyTimeoutS } : {}),
        onAttempt: (n, e) => {
          failures.push(e);
          progress.warn(`restore attempt ${n} failed: ${e}; retrying`);
        },
      });
      if (r.ok && failures.length) {
        const note = `restore (${describeUndo(u)}) succeeded on attempt ${r.attempts} after ${failures.length} failed: ${failures[0]}`;
        s.infrastructure.push(note);
        mark('note', note);
      }
      journal.mark(u.id, r.ok ? 'done' : 'failed', r.error);
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
            targetContext(),
            deps.runId,
          );
          rec = await runStep(runner, {
            step,
            rendered,
            index,
            phase: 'restore',
            targetSpec,
            interruptible: false,
          });
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
    if (s.injected) await compareServices();
    s.restorePending = [
      ...journal.pending().map((e) => `${describeUndo(e)}: ${e.commands.join(' && ')}`),
      ...s.restorePending,
    ];
    if (!s.restoreOk && s.restorePending.length === 0) {
      const failed = s.steps
        .filter((x) => x.phase === 'restore' && !x.ok)
        .map((x) => `restore step ${x.index + 1} (${x.action}): ${x.error}`);
      s.restorePending = failed.length ? failed : ['a restore step failed'];
    }
    phase('restore', 'end', s.restoreOk, s.restoreOk ? undefined : `${s.restorePending.length} not restored`);
    journal.close();
    s.restoring = false;
  }
}
