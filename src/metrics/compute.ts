/**
 * The metric registry: metric name → pure function of the run. `computeMetrics` reads the
 * timeline once and runs the requested metrics (all by default).
 */
import type { TimelineEvent } from '../timeline/events.js';
import { blindMetrics } from './blind.js';
import { leaseMetrics } from './lease.js';
import { METRIC_NAMES, type MetricName } from './names.js';
import type { MetricOptions } from './options.js';
import { probeMetrics } from './probes.js';
import { raftMetrics } from './raft.js';
import type { MetricResult } from './types.js';
import { viewOf, type RunView } from './view.js';

export type MetricFunction = (view: RunView, options: MetricOptions) => MetricResult[];

export const metricRegistry: Record<MetricName, MetricFunction> = {
  ...leaseMetrics,
  ...raftMetrics,
  ...probeMetrics,
  ...blindMetrics,
};

export function computeMetrics(
  events: readonly TimelineEvent[],
  options: MetricOptions = {},
): MetricResult[] {
  const view = viewOf(events);
  const names = options.metrics ?? METRIC_NAMES;
  return names.flatMap((name) => metricRegistry[name](view, options));
}
