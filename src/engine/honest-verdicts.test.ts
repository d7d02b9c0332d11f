/**
 * Issue 19: a verdict says only what was measured. Runs whole drills against the in-memory
 * cluster (testing/fakes.ts), as run.test.ts does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { writeFileSync } from 'node:fs';
import type { Drill } from '../config/schema.js';
import type { Context } from '../context.js';
import { runRecover } from '../commands/recover/index.js';
import type { MetricResult } from '../metrics/types.js';
import { describeExit, describeUndo } from './describe.js';
import { Journal } from './journal.js';
import { runDrill } from './run.js';
import { FakeCluster, fakeDrill, fakeInventory, innerCommand } from './testing/fakes.js';
import { runHarness } from './testing/run-harness.js';
import type { Remote } from './types.js';

const SLOS = [
  'lease.takeover_s < 20',
  'lease.split_brain == 0',
  'lease.transitions == 1',
  'apiserver.availability >= 0.99',
];

function harness(drill: Drill, metrics: MetricResult[] = []) {
  return runHarness({ drill, metrics, tuning: { restoreBackoffMs: [10, 10, 10, 10], verifyTimeoutS: 1 } });
}

const measured = (name: string, value: number): MetricResult => ({
  name,
  unit: name.endsWith('_s') ? 's' : 'ratio',
  value,
  errorS: 0,
  status: 'measured',
});

describe('verdicts that say only what was measured', () => {
  it('inject steps that touch no master, an until that timed out, four SLOs: FAIL (exit 1), 4 unknown, the timeout said', async () => {
    const h = harness(fakeDrill({ inject: [{ action: 'wait', duration: '1s' }], slo: SLOS }));
    const r = await runDrill(h.deps);
    expect(r.outcome).toBe('fail');
    expect(r.exitCode).toBe(1);
    expect(r.summary).toBe(
      '0/4 SLOs held, 4 unknown; a new holder of Lease kube-system/kube-scheduler not met within 5s',
    );
    expect(r.verdicts.map((v) => v.status)).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    expect(r.verdicts[0]?.message).toBe(
      'not evaluated: no inject step acted on a master, so there was no fault to measure',
    );
  });

  it('an SSH outage that clears up during restore is named in the verdict and on the timeline', async () => {
    const h = harness(fakeDrill({ slo: ['lease.takeover_s < 20'] }), [measured('lease.takeover_s', 3)]);
    let refusals = 4;
    const remote: Remote = {
      connect: (m) => h.cluster.connect(m),
      close: () => h.cluster.close(),
      exec: async (m, command) => {
        if (command === 'systemctl start kube-scheduler' && refusals-- > 0)
          throw new Error(`cannot connect to ${m.name} (${m.host}:22): connection refused`);
        return h.cluster.exec(m, command);
      },
    };
    const r = await runDrill({ ...h.deps, ports: { ...h.deps.ports, remote } });
    expect(r).toMatchObject({ outcome: 'pass', exitCode: 0, restore: { ok: true } });
    const note =
      'restore (start kube-scheduler on master-1) succeeded on attempt 5 after 4 failed: cannot connect to master-1 (10.0.0.1:22): connection refused';
    expect(r.summary).toBe(`1/1 SLOs held; infrastructure: ${note}`);
    expect(h.timeline.events().some((e) => e.kind === 'mark' && e.message === note)).toBe(true);
  });

  it('a lost SSH session is said as such, never "exited null"', async () => {
    const h = harness(fakeDrill());
    const remote: Remote = {
      connect: (m) => h.cluster.connect(m),
      close: () => h.cluster.close(),
      exec: async (m, command) =>
        innerCommand(command) === 'systemctl stop kube-scheduler'
          ? { code: null, stdout: '', stderr: '' }
          : h.cluster.exec(m, command),
    };
    const r = await runDrill({ ...h.deps, ports: { ...h.deps.ports, remote } });
    expect(r.exitCode).toBe(4);
    expect(r.errors[0]).toContain('ended without an exit status: the SSH session was lost');
    expect(JSON.stringify(r)).not.toContain('exited null');
    expect(describeExit({ code: null })).not.toContain('null');
  });
});

describe('what a person reads at the worst moment', () => {
  it('a second Ctrl-C during inject says the run is stopping, then restoring, naming the master once', async () => {
    const h = harness(
      fakeDrill({
        inject: [
          { action: 'stopService', target: 'master:master-2', service: 'kube-scheduler' },
          { action: 'wait', duration: '1s' },
        ],
      }),
    );
    h.cluster.afterCommand = (_, command) => {
      if (command !== 'systemctl stop kube-scheduler') return;
      h.signals.get('SIGINT')?.();
      h.signals.get('SIGINT')?.();
    };
    await runDrill(h.deps);
    const second = h.progress.lines.filter((l) => l.startsWith('warn ')).at(1);
    expect(second).toBe(
      'warn stopping after the step now running, then restoring. Pending: start kube-scheduler on master-2',
    );
  });

  it('recover names each master once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kha-recover-'));
    const inventory = fakeInventory();
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, stringify({ ...inventory, ssh: { identityFile: '/dev/null' } }));
    const out: string[] = [];
    const ctx: Context = {
      stdout: { write: (s) => void out.push(s), isTTY: false },
      stderr: { write: () => undefined, isTTY: false },
      env: { KHA_STATE_DIR: join(dir, 'state') },
      cwd: dir,
      onSignal: () => () => undefined,
    };
    const j = Journal.create(ctx.env, {
      cluster: 'test-cluster',
      runId: 'r1',
      drill: 'd',
      runDir: join(dir, 'run'),
    });
    j.add({
      id: 'inject-0.0',
      master: 'master-2',
      description: 'start etcd on master-2',
      commands: ['systemctl start etcd'],
    });
    j.add({ id: 'inject-1.0', master: 'master-3', description: 'undo of `touch /x`', commands: ['rm /x'] });
    const cluster = new FakeCluster(inventory);
    expect(
      await runRecover(
        ctx,
        { inventory: file, force: true },
        () => cluster,
        async () => undefined,
      ),
    ).toBe(0);
    const text = out.join('');
    expect(text).toContain('- start etcd on master-2: systemctl start etcd\n');
    expect(text).toContain('- undo of `touch /x` on master-3: rm /x\n');
    expect(text).not.toContain('on master-2 on master-2');
    expect(describeUndo({ master: 'master-1', description: 'start etcd on master-10' })).toBe(
      'start etcd on master-10 on master-1',
    );
  });
});
