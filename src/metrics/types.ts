/**
 * What a metric function returns. Metrics are pure: timeline in, MetricResult out.
 * A value is never presented as more precise than observed: `errorS` is the half-width of
 * the uncertainty (poll period, blind windows), and `unknown` means it could not be measured.
 */
export interface MetricResult {
  /** e.g. `lease.takeover_s`, or `lease.takeover_s{lease=kube-system/kube-controller-manager}` */
  name: string;
  /** null when unknown */
  value: number | null;
  unit: 's' | 'ratio' | 'count';
  /** ± bound of `value` in the metric's unit (0 for exact counts) */
  errorS: number;
  status: 'measured' | 'unknown';
  /** why unknown, or what widened the bound (e.g. "watch was blind 3.1–4.0 s") */
  note?: string;
  /** when the measured event happened on the run clock (for drawing), if it is a moment */
  at?: number;
}
