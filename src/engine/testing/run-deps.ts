/** RunDeps over a FakeCluster with a clock that never waits: for run-level unit tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Drill } from '../../config/schema.js';
import { Timeline } from '../../timeline/index.js';
import type { RunDeps } from '../run.js';
import type { FakeCluster } from './fakes.js';
import { runHarness } from './run-harness.js';

export function quietRunDeps(cluster: FakeCluster, drill: Drill, env: Record<string, string>): RunDeps {
  return runHarness({
    cluster,
    drill,
    env,
    instant: true,
    timeline: new Timeline(),
    tuning: { restoreBackoffMs: [1], verifyTimeoutS: 0, servicesSettleS: 0 },
  }).deps;
}

export const stateEnv = (): Record<string, string> => ({
  KHA_STATE_DIR: mkdtempSync(join(tmpdir(), 'kha-state-')),
});
