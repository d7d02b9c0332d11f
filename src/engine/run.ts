/**
 * One drill run: preflight → steadyState → inject → observe → restore → evaluate, every phase
 * on the timeline. Restore always runs once anything was journaled: after success, SLO failure,
 * timeout, SSH errors, abort, Ctrl-C and SIGTERM. Each phase is a module of `phases/` taking
 * the run (its state, input, ports and tuning); I/O comes in through the ports, so the whole
 * orchestration runs in tests against in-memory fakes.
 */
import { ExitCode, KhaError, errorMessage } from '../errors.js';
import type { RunResult } from '../report/result.js';
import type { FaultEvent } from '../timeline/events.js';
import type { RunDeps } from './deps.js';
import { recordClocks, recordRestarts, refineFaults } from './fault/record.js';
import { evaluatePhase } from './phases/evaluate.js';
import { injectPhase } from './phases/inject.js';
import { observePhase } from './phases/observe.js';
import { preflight } from './phases/preflight.js';
import { observeTimingsPhase } from './phases/timings.js';
import { restorePhase } from './phases/restore.js';
import { openRun, type Run } from './phases/state.js';
import { prepareFault } from './phases/steady-state.js';
import { assembleResult } from './result.js';
import { handleSignals } from './signals.js';

export type { RunDeps, RunInput, RunPorts, RunTimeline, RunTuning } from './deps.js';

export async function runDrill(deps: RunDeps): Promise<RunResult> {
  const run = openRun(deps);
  const { state: s, input, ports } = run;
  const startedAt = ports.clock.wallTime();
  const offSignals = handleSignals(run);

  ports.timeline.append({
    kind: 'run',
    runId: input.runId,
    drill: input.drill.metadata.name,
    cluster: input.inventory.metadata.name,
    wallTime: '',
    harnessVersion: input.harnessVersion,
    masters: input.inventory.masters.map((m) => ({
      name: m.name,
      nodeName: m.nodeName,
      host: m.host,
      etcd: m.etcd,
      apiserver: m.apiserver,
    })),
    leaderElection: input.timings,
  });

  // assigned inside the pre-fault setup, so TypeScript must not narrow it to null
  let stopWatchers = null as (() => Promise<void>) | null;
  let releaseLock: (() => void) | null = null;
  try {
    run.phase('preflight', 'start');
    const ready = await preflight(input, ports, (release) => (releaseLock = release));
    // part of preflight: the timings the SLO bounds will use, read before anything is touched
    await observeTimingsPhase(run);
    run.phase('preflight', 'end', true, ready);
    // each master's clock against ours, so its records map onto the timeline
    await recordClocks(run.faultDeps(), input.inventory.masters, 'preflight');
    await prepareFault(run, (stop) => (stopWatchers = stop));
    const injectError = await injectPhase(run);
    if (injectError) {
      if (s.injected) s.errors.push(injectError);
      else s.notInjected = injectError;
    } else if (!s.stop.signal.aborted) {
      await observePhase(run);
    }
  } catch (err) {
    stoppedBefore(run, err);
  }

  if (s.journal) {
    // a fault moment not known yet (a --no-block stop) is read before restore starts the unit
    const faults = (): FaultEvent[] => ports.timeline.events().filter((e) => e.kind === 'fault');
    const pending = faults().filter((e) => e.provisional === true);
    if (pending.length) await refineFaults(run.faultDeps(), input.drill.inject, pending);
    await restorePhase(run);
    // the victim's real restart (systemd's record), where raft.catchup_s starts
    const settled = faults().filter((e) => !e.provisional);
    if (settled.length) await recordRestarts(run.faultDeps(), settled);
  }

  if (stopWatchers) {
    try {
      // the polling watchers take one last look as they stop, so they record what restore left
      await stopWatchers();
    } catch (err) {
      s.errors.push(`stopping watchers: ${errorMessage(err)}`);
    }
  }

  const evaluation = evaluatePhase(run);
  offSignals();
  (releaseLock as (() => void) | null)?.();
  return assembleResult(run, startedAt, evaluation);
}

/** A phase threw: before anything was injected, the run reports why and leaves (no restore). */
function stoppedBefore(run: Run, err: unknown): void {
  const { state: s, ports } = run;
  if (err instanceof KhaError && !s.injected) {
    const outcome =
      err.exitCode === ExitCode.NotSteady
        ? 'not-steady'
        : err.code === 'E_INTERRUPTED'
          ? 'interrupted'
          : 'error';
    s.stoppedBefore = { outcome, exitCode: err.exitCode, message: err.message };
    s.errors.push(err.message + (err.hint ? `\nhint: ${err.hint}` : ''));
    const open = ports.timeline
      .events()
      .filter((e) => e.kind === 'phase')
      .pop();
    if (open?.kind === 'phase' && open.state === 'start')
      run.phase(open.phase, 'end', false, err.message.split('\n')[0]);
  } else {
    s.errors.push(`internal error: ${errorMessage(err)}`);
  }
}
