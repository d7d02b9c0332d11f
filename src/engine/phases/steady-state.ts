/**
 * Before the fault: the drill's steady-state checks, and beside them (both only read) the
 * watchers starting and the services being snapshotted; then the pre-fault baseline and the
 * run's journal. Throws (exit 3) at the first check not met, or when interrupted.
 */
import { checkCondition, describeCondition } from '../conditions.js';
import { Journal } from '../journal.js';
import { snapshotServices } from '../service-snapshot.js';
import { captureBaseline, StopBeforeInject, watchersReady } from './preflight.js';
import type { Run } from './state.js';

/** The drill's steady-state checks in order; throws (exit 3) at the first one not met. */
export async function steadyStatePhase(run: Run): Promise<void> {
  const { state: s, input, ports } = run;
  run.phase('steadyState', 'start');
  for (const c of input.drill.steadyState) {
    if (s.stop.signal.aborted) break;
    const r = await checkCondition(c, run.conditions());
    ports.progress.end(`steady: ${describeCondition(c)}`, r.ok, r.detail);
    if (!r.ok) {
      throw new StopBeforeInject(
        'E_NOT_STEADY',
        `steady state not met: ${describeCondition(c)}: ${r.detail}`,
      );
    }
  }
  run.phase('steadyState', 'end', true);
}

/**
 * The steady-state checks while the watchers start and the services are snapshotted; then the
 * baseline and the journal. `onWatchers` receives the watchers' stop function once they started.
 */
export async function prepareFault(run: Run, onWatchers: (stop: () => Promise<void>) => void): Promise<void> {
  const { state: s, input, ports } = run;
  const { drill, inventory } = input;
  // While the steady-state checks run (leaseHeld waits for a renewal), the watchers start and
  // the services are snapshotted: both only read. The pre-fault baseline waits for the checks.
  const setupDone = new AbortController();
  const watching = (async () => {
    onWatchers(await ports.startWatchers());
    await watchersReady(
      drill,
      inventory,
      ports.timeline,
      ports.clock.sleep,
      ports.progress,
      run.tuning.watcherReadyTimeoutS ?? 10,
      AbortSignal.any([setupDone.signal, s.stop.signal]),
    );
  })();
  // settled, both: the watchers must not start after a failure has been cleaned up
  const setup = Promise.allSettled([snapshotServices(inventory, ports.remote), watching]);
  let steadyError: unknown = null;
  try {
    await steadyStatePhase(run);
  } catch (err) {
    steadyError = err;
    setupDone.abort();
  }
  const [servicesBefore, watched] = await setup;
  if (steadyError !== null) throw steadyError;
  if (s.stop.signal.aborted) {
    throw new StopBeforeInject(
      'E_INTERRUPTED',
      `interrupted by ${s.interruptedBy} before anything was injected`,
    );
  }
  for (const r of [servicesBefore, watched]) if (r.status === 'rejected') throw r.reason;
  if (servicesBefore.status === 'fulfilled') s.servicesBefore = servicesBefore.value;
  s.baseline = await captureBaseline(drill, ports.view);
  s.journal = Journal.create(
    input.env,
    {
      cluster: inventory.metadata.name,
      runId: input.runId,
      drill: drill.metadata.name,
      runDir: input.runDir,
    },
    ports.clock.wallTime,
  );
}
