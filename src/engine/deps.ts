/**
 * What one run needs from the outside world, in three parts: its input (what to run, on what),
 * its ports (every I/O the engine does, injectable, the clock among them) and its tuning (waits
 * and bounds that tests shorten).
 */
import type { StopSignal } from '../context.js';
import type { Drill, Inventory } from '../config/schema.js';
import type { MetricResult } from '../metrics/types.js';
import type { SloTimings } from '../slo/evaluate.js';
import type { NewEvent, TimelineEvent } from '../timeline/events.js';
import type { RunClock } from './clock.js';
import type { Progress } from './progress.js';
import type { ClusterView, Remote } from './types.js';

/** The timeline as the engine uses it. */
export interface RunTimeline {
  append(event: NewEvent): TimelineEvent;
  now(): number;
  events(): readonly TimelineEvent[];
}

/** What to run and on what: data only. */
export interface RunInput {
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
  timings: SloTimings;
  yes?: boolean;
}

/** Every I/O port of the engine. */
export interface RunPorts {
  view: ClusterView;
  remote: Remote;
  timeline: RunTimeline;
  /** starts the drill's watchers; resolves to their stop function */
  startWatchers: () => Promise<() => Promise<void>>;
  computeMetrics: (events: readonly TimelineEvent[]) => MetricResult[];
  progress: Progress;
  onSignal: (signal: StopSignal, handler: () => void) => () => void;
  /** wall time and sleeps; tests pass one that moves a fake clock (`runClock`) */
  clock: RunClock;
  random: () => number;
}

/** Waits and bounds (tests shorten them); each has its default where it is used. */
export interface RunTuning {
  /** restore retry waits */
  restoreBackoffMs?: number[];
  verifyTimeoutS?: number;
  /** how often abort expressions are evaluated while observing */
  abortIntervalMs?: number;
  /** how long services that ran before the drill may take to run again after restore */
  servicesSettleS?: number;
  /** how long to wait for every watcher's first observation before injecting */
  watcherReadyTimeoutS?: number;
}

export interface RunDeps {
  input: RunInput;
  ports: RunPorts;
  tuning?: RunTuning;
}
