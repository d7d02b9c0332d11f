/** After the fault: until the drill's condition holds (then settle) or its timeout. */
import { parseDuration } from '../../text/duration.js';
import { errorMessage } from '../../errors.js';
import { evaluateAbort } from '../../slo/evaluate.js';
import { aborted } from '../../time/sleep.js';
import { describeCondition, waitForCondition } from '../conditions.js';
import type { Run } from './state.js';

/** Observes until the condition holds or the timeout; abort conditions are checked live. */
export async function observePhase(run: Run): Promise<void> {
  const { state: s, input, ports } = run;
  const { drill, timings } = input;
  const { timeline, progress, clock } = ports;
  run.phase('observe', 'start');
  const stop = s.stop.signal;
  const timeoutS = parseDuration(drill.observe.timeout);
  const observeStart = timeline.now();
  const done = new AbortController();
  // one listener for the whole observe: a fresh `aborted()` per tick would pile them up
  const observeDone = aborted(done.signal);
  const abortLoop = (async () => {
    while (!stop.aborted && !done.signal.aborted && drill.abort.length > 0) {
      await Promise.race([clock.pause(run.tuning.abortIntervalMs ?? 500, stop), observeDone]);
      if (stop.aborted || done.signal.aborted) break;
      let fired: string | null = null;
      try {
        fired = evaluateAbort(drill.abort, ports.computeMetrics(timeline.events()), timings, s.leaseTimings);
      } catch (err) {
        progress.warn(`abort conditions could not be evaluated: ${errorMessage(err)}`);
      }
      if (fired) {
        s.abortMessage = fired;
        run.mark('abort', fired);
        progress.warn(`abort: ${fired}; restoring now`);
        s.stop.abort();
      }
    }
  })();
  const until = drill.observe.until;
  if (until) {
    const r = await Promise.race([
      waitForCondition(until, run.conditions(), {
        timeoutS,
        intervalMs: 200,
        onWait: (what, el, bound, detail) => progress.wait(what, el, bound, detail),
        stopped: () => (stop.aborted ? (s.abortMessage ?? 'interrupted') : null),
      }),
      aborted(stop).then(() => null),
    ]);
    if (r?.ok) {
      s.untilMet = true;
      run.mark(
        'until-met',
        `${describeCondition(until)}: ${r.detail} after ${(timeline.now() - observeStart).toFixed(2)} s`,
      );
      await clock.pause(parseDuration(drill.observe.settle) * 1000, stop);
    } else if (!stop.aborted) {
      s.untilMet = false;
      run.mark(
        'timeout',
        `${describeCondition(until)} not met within ${drill.observe.timeout}${r ? `: ${r.detail}` : ''}`,
      );
    }
  } else {
    await clock.pause(timeoutS * 1000, stop);
  }
  done.abort();
  await abortLoop;
  const why =
    s.abortMessage ??
    (s.interruptedBy ? `interrupted by ${s.interruptedBy}` : s.untilMet === false ? 'timed out' : undefined);
  run.phase('observe', 'end', s.untilMet !== false && !s.abortMessage && !s.interruptedBy, why);
}
