/** After restore: the timeline's metrics and the drill's SLO verdicts (only once injected). */
import { errorMessage } from '../../errors.js';
import type { MetricResult } from '../../metrics/types.js';
import type { Verdict } from '../../report/result.js';
import { evaluateSlos } from '../../slo/evaluate.js';
import { notEvaluated } from '../verdicts.js';
import type { Run } from './state.js';

export interface Evaluation {
  metrics: MetricResult[];
  verdicts: Verdict[];
}

export function evaluatePhase(run: Run): Evaluation {
  const { state: s, input, ports } = run;
  let metrics: MetricResult[] = [];
  let verdicts: Verdict[] = [];
  if (s.injected) {
    run.phase('evaluate', 'start');
    try {
      metrics = ports.computeMetrics(ports.timeline.events());
      verdicts = evaluateSlos(input.drill.slo, metrics, input.timings, s.leaseTimings);
    } catch (err) {
      s.errors.push(`evaluating: ${errorMessage(err)}`);
    }
    run.phase('evaluate', 'end', true);
  } else if (!s.stoppedBefore && !s.notInjected) {
    // the inject phase ran but touched no master: there was no fault to measure
    verdicts = notEvaluated(
      input.drill.slo,
      'no inject step acted on a master, so there was no fault to measure',
    );
  }
  return { metrics, verdicts };
}
