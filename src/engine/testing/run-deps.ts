/** RunDeps over a FakeCluster with a clock that never waits: for run-level unit tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Drill } from '../../config/schema.js';
import { Timeline } from '../../timeline/index.js';
import { runClock } from '../clock.js';
import { MemoryProgress } from '../progress.js';
import type { RunDeps } from '../run.js';
import type { FakeCluster } from './fakes.js';

export function quietRunDeps(cluster: FakeCluster, drill: Drill, env: Record<string, string>): RunDeps {
  return {
    input: {
      drill,
      drillFile: 'drill.yaml',
      drillDigest: 'sha256:d',
      inventory: cluster.inventory,
      inventoryFile: 'inventory.yaml',
      inventoryDigest: 'sha256:i',
      runId: 'run-1',
      runDir: mkdtempSync(join(tmpdir(), 'kha-run-')),
      harnessVersion: '0.0.0',
      env,
      timings: { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 },
    },
    ports: {
      view: cluster,
      remote: cluster,
      timeline: new Timeline(),
      startWatchers: async () => async () => {},
      computeMetrics: () => [],
      progress: new MemoryProgress(),
      onSignal: () => () => undefined,
      clock: runClock(async () => {}),
      random: () => 0,
    },
    tuning: { restoreBackoffMs: [1], verifyTimeoutS: 0, servicesSettleS: 0 },
  };
}

export const stateEnv = (): Record<string, string> => ({
  KHA_STATE_DIR: mkdtempSync(join(tmpdir(), 'kha-state-')),
});
