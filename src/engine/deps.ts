/** What one run needs from the outside world: every I/O port of the engine, injectable. */
import type { Drill, Inventory } from '../config/schema.js';
import type { MetricResult } from '../metrics/types.js';
import type { SloTimings } from '../slo/evaluate.js';
import type { NewEvent, TimelineEvent } from '../timeline/events.js';
import type { Progress } from './progress.js';
import type { ClusterView, Remote } from './types.js';

/** The timeline as the engine uses it. */
export interface RunTimeline {
  append(event: NewEvent): TimelineEvent;
  now(): number;
  events(): readonly TimelineEvent[];
}

export interface RunDeps {
  drill: Drill;
  drillFile: string;
  drillDigest: string;
  /** with paths resolved */
  inventory: Inventory;
  inventoryFile: string;
  inventoryDigest: string;
  runId: string;
  runDir: string;
  harnessVersion: string;
  env: Record<string, string | undefined>;
  view: ClusterView;
  remote: Remote;
  timeline: RunTimeline;
  /** starts the drill's watchers; resolves to their stop function */
  startWatchers: () => Promise<() => Promise<void>>;
  computeMetrics: (events: readonly TimelineEvent[]) => MetricResult[];
  timings: SloTimings;
  progress: Progress;
  onSignal: (signal: 'SIGINT' | 'SIGTERM', handler: () => void) => () => void;
  /** tests pass a sleep that moves a fake clock */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  yes?: boolean;
  /** restore retry waits (tests shorten them) */
  restoreBackoffMs?: number[];
  verifyTimeoutS?: number;
  /** how often abort expressions are evaluated while observing */
  abortIntervalMs?: number;
  /** how long services that ran before the drill may take to run again after restore */
  servicesSettleS?: number;
  /** how long to wait for every watcher's first observation before injecting */
  watcherReadyTimeoutS?: number;
}
