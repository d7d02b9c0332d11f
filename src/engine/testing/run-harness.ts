/**
 * One whole run against the in-memory fakes, for the engine's tests: a fake cluster behind the
 * view and remote ports, a timeline on a fake clock that moves only when the engine sleeps,
 * progress kept in memory, and signal handlers a test can fire.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Drill, Inventory } from '../../config/schema.js';
import type { MetricResult } from '../../metrics/types.js';
import { FakeClock, Timeline } from '../../timeline/index.js';
import { runClock } from '../clock.js';
import type { RunDeps, RunTuning } from '../deps.js';
import { MemoryProgress } from '../progress.js';
import { FakeCluster, fakeDrill, fakeInventory } from './fakes.js';

export interface RunHarnessOptions {
  drill?: Drill;
  /** default: a new one over the inventory */
  cluster?: FakeCluster;
  /** sleeps return at once and time does not move (default: they move the fake clock) */
  instant?: boolean;
  inventory?: Inventory;
  metrics?: MetricResult[];
  /** the state directory's variables (default: a new KHA_STATE_DIR) */
  env?: Record<string, string>;
  runDir?: string;
  /** default: a timeline on the harness's fake clock */
  timeline?: Timeline;
  tuning?: RunTuning;
}

export interface RunHarness {
  deps: RunDeps & { tuning: RunTuning };
  cluster: FakeCluster;
  progress: MemoryProgress;
  signals: Map<string, () => void>;
  clock: FakeClock;
  timeline: Timeline;
  env: Record<string, string>;
}

export function runHarness(o: RunHarnessOptions = {}): RunHarness {
  const inventory = o.inventory ?? o.cluster?.inventory ?? fakeInventory();
  const cluster = o.cluster ?? new FakeCluster(inventory);
  const clock = new FakeClock();
  const timeline = o.timeline ?? new Timeline({ clock });
  const progress = new MemoryProgress();
  const signals = new Map<string, () => void>();
  const env = o.env ?? { KHA_STATE_DIR: mkdtempSync(join(tmpdir(), 'kha-state-')) };
  const metrics = o.metrics ?? [];
  const deps = {
    input: {
      drill: o.drill ?? fakeDrill(),
      drillFile: 'drill.yaml',
      drillDigest: 'sha256:d',
      inventory,
      inventoryFile: 'inventory.yaml',
      inventoryDigest: 'sha256:i',
      runId: 'run-1',
      runDir: o.runDir ?? mkdtempSync(join(tmpdir(), 'kha-run-')),
      harnessVersion: '0.0.0',
      env,
      timings: { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 },
    },
    ports: {
      view: cluster,
      remote: cluster,
      timeline,
      startWatchers: async () => async () => {},
      computeMetrics: () => metrics,
      progress,
      onSignal: (sig: string, handler: () => void) => {
        signals.set(sig, handler);
        return () => signals.delete(sig);
      },
      // time moves only when the engine sleeps
      clock: runClock(
        o.instant
          ? async () => {}
          : async (ms) => {
              clock.advance(ms);
              await new Promise((r) => setImmediate(r));
            },
      ),
      random: () => 0,
    },
    tuning: o.tuning ?? { restoreBackoffMs: [10, 10], verifyTimeoutS: 1 },
  } satisfies RunDeps;
  return { deps, cluster, progress, signals, clock, timeline, env };
}
