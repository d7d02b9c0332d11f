/** An SLO's verdict: what evaluation returns and every report prints. */
export type VerdictStatus = 'pass' | 'fail' | 'unknown';

export interface Verdict {
  /** the SLO expression as written */
  slo: string;
  metric: string;
  status: VerdictStatus;
  /** measured value, null when unknown */
  value: number | null;
  /** the bound after substituting the inventory's timings, e.g. `< 4.4` */
  bound: string;
  message: string;
  /** unit of `value`, copied from the metric */
  unit?: 's' | 'ratio' | 'count';
  /** ± uncertainty of `value`, copied from the metric */
  errorS?: number;
  /**
   * the measured value's error interval straddles the bound: the status follows the value
   * itself, but the margin is smaller than the measurement's precision
   */
  marginal?: boolean;
}
