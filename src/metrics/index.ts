/** Metrics: pure functions from a timeline to named, bounded results (DESIGN §4). */
export { computeMetrics, metricRegistry, type MetricFunction } from './compute.js';
export { METRICS, METRIC_NAMES, isMetricName, type MetricInfo, type MetricName } from './names.js';
export type { MetricOptions } from './options.js';
export type { MetricResult } from './types.js';
export { viewOf, blindIntervals, type BlindInterval, type RunView } from './view.js';
export { WATCH_GRANULARITY_S, primaryLease } from './lease.js';
export { DEFAULT_CATCHUP_MAX_LAG } from './raft.js';
