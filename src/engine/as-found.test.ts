/**
 * Restore puts back what ran before the drill, and nothing more: a service stopped on purpose
 * before the run stays stopped.
 */
import { describe, expect, it } from 'vitest';
import { readPendingJournal } from './journal.js';
import { runDrill } from './run.js';
import { FakeCluster, fakeDrill, fakeInventory } from './testing/fakes.js';
import { quietRunDeps as deps, stateEnv } from './testing/run-deps.js';

describe('as found', () => {
  const changed = (c: FakeCluster) =>
    c.commands
      .filter((x) => !x.command.startsWith('systemctl is-active') && !x.command.includes('systemctl cat'))
      .map((x) => `${x.master}: ${x.command}`);

  it('a drill restore step starts only what ran before; a service stopped on purpose stays stopped', async () => {
    const cluster = new FakeCluster(fakeInventory());
    cluster.units.set('master-2/kube-controller-manager', false);
    const drill = fakeDrill({
      restore: [{ action: 'startService', target: 'all-masters', service: 'kube-controller-manager' }],
    });
    const r = await runDrill(deps(cluster, drill, stateEnv()));
    expect(r.exitCode).toBe(0);
    const starts = changed(cluster).filter((c) => c.endsWith('systemctl start kube-controller-manager'));
    expect(starts).toEqual([
      'master-1: systemctl start kube-controller-manager',
      'master-3: systemctl start kube-controller-manager',
    ]);
    expect(cluster.units.get('master-2/kube-controller-manager')).toBe(false);
  });

  it('stopping a service that was not running needs no undo, no switch, no journal entry', async () => {
    const cluster = new FakeCluster(fakeInventory());
    cluster.units.set('master-2/kube-controller-manager', false);
    const drill = fakeDrill({
      inject: [{ action: 'stopService', target: 'master:master-2', service: 'kube-controller-manager' }],
      observe: { timeout: '1s', settle: '0s' },
    });
    const env = stateEnv();
    const r = await runDrill(deps(cluster, drill, env));
    expect(r.restore.ok).toBe(true);
    // besides the "as found" check's copies on the masters (journaled, then marked done)
    expect(changed(cluster).filter((c) => !c.includes('--found.master-'))).toEqual([
      'master-2: systemctl stop kube-controller-manager',
    ]);
    expect(cluster.units.get('master-2/kube-controller-manager')).toBe(false);
    expect(readPendingJournal(env, 'test-cluster')).toBeNull();
  });
});
