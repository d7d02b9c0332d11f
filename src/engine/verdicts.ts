/** Verdicts for SLOs that were never evaluated: unknown, never a pass (README "SLO"). */
import type { Verdict } from '../report/result.js';

export function notEvaluated(slos: readonly string[], why: string): Verdict[] {
  return slos.map((slo) => ({
    slo,
    metric: slo.split(/[<>=!]/)[0]?.trim() ?? slo,
    status: 'unknown',
    value: null,
    bound: '',
    message: `not evaluated: ${why}`,
  }));
}
