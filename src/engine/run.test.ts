import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MetricResult } from '../metrics/types.js';
import { acquireRunLock, indexPath, readPendingJournal } from './journal.js';
import { runDrill } from './run.js';
import { FakeCluster, fakeDrill, innerCommand } from './testing/fakes.js';
import { runHarness, type RunHarness } from './testing/run-harness.js';
import type { Drill } from '../config/schema.js';

let env: Record<string, string>;
beforeEach(() => {
  env = { KHA_STATE_DIR: mkdtempSync(join(tmpdir(), 'kha-state-')) };
});

type Harness = RunHarness;

function harness(drill: Drill = fakeDrill(), metrics: MetricResult[] = []): Harness {
  return runHarness({ drill, metrics, env });
}

/** the state checks and the preflight's unit presence check change nothing */
const readOnly = (command: string) =>
  command.startsWith('systemctl is-active') || command.includes('systemctl cat -- ');

const allActive = (c: FakeCluster) => [...c.units.values()].every(Boolean);

describe('runDrill', () => {
  it('injects on the resolved target, observes the takeover, restores and passes', async () => {
    const h = harness();
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'pass', exitCode: 0, restore: { ok: true, pending: [] } });
    expect(r.targets).toEqual({ 'lease-holder:kube-system/kube-scheduler': ['master-1'] });
    // the "as found" check's copies (restore-journal.ts): written on each master before the
    // undo runs, marked done after the services compare equal
    const asFound = (c: { command: string }) => c.command.includes('--found.master-');
    const all = h.cluster.commands.filter((c) => !readOnly(c.command)).map((c) => c.command);
    const undoAt = all.indexOf('systemctl start kube-scheduler');
    expect(
      all.slice(undoAt - 3, undoAt).every((c) => asFound({ command: c }) && c.includes('mkdir -p')),
    ).toBe(true);
    expect(all.slice(-3).every((c) => asFound({ command: c }) && c.includes(`done 'kha-drill run'`))).toBe(
      true,
    );
    const changing = h.cluster.commands.filter((c) => !readOnly(c.command) && !asFound(c));
    const unit = 'kha-drill-heal-run-1-inject-0-0';
    const copy = '/var/lib/kha-drill/journal/run-1--inject-0.0.json';
    const cmds = changing.map((c) => `${c.master}: ${c.command}`);
    expect(cmds).toHaveLength(4);
    // the undo's copy is written on the master and its dead-man's switch armed before the fault;
    // the switch records there that it healed the master
    expect(cmds[0]).toMatch(/^master-1: mkdir -p \/var\/lib\/kha-drill\/journal && printf /);
    expect(cmds[0]).toContain(`"undo":{"id":"inject-0.0","master":"master-1"`);
    expect(cmds[0]).toContain(
      `&& systemd-run --quiet --collect --unit=${unit} --on-active=95s --timer-property=AccuracySec=100ms '--description=kha-drill dead-man switch: start kube-scheduler on master-1' /bin/sh -c 'systemctl start kube-scheduler && printf `,
    );
    expect(cmds[0]).toContain(`healed`);
    expect(cmds.slice(1, 3)).toEqual([
      'master-1: systemctl stop kube-scheduler',
      'master-1: systemctl start kube-scheduler',
    ]);
    // disarmed once the undo is verified, and the copy marked done
    expect(cmds[3]).toContain(
      `master-1: { systemctl stop -- ${unit}.timer 2>/dev/null; ! systemctl is-active --quiet -- ${unit}.timer; } && printf `,
    );
    expect(cmds[3]).toContain(`done 'kha-drill run'`);
    expect(cmds[3]).toContain(`> ${copy}.status.tmp && mv -f ${copy}.status.tmp ${copy}.status`);
    expect(r.tInject).not.toBeNull();
    expect(allActive(h.cluster)).toBe(true);
    expect(h.cluster.schedulerHolder).toBe('master-2');
    expect(readPendingJournal(env, 'test-cluster')).toBeNull();
    expect(existsSync(indexPath(env, 'test-cluster'))).toBe(false);
    const kinds = h.timeline.events().map((e) => (e.kind === 'phase' ? `${e.phase}:${e.state}` : e.kind));
    expect(kinds.filter((k) => k.endsWith(':start'))).toEqual([
      'preflight:start',
      'steadyState:start',
      'inject:start',
      'observe:start',
      'restore:start',
      'evaluate:start',
    ]);
  });

  it('reads the leader-election timings in preflight: a cluster faster than the inventory is warned about, and the bounds use it', async () => {
    const drill = fakeDrill({ slo: ['lease.takeover_s < leaseDuration + 2.2 * retryPeriod'] });
    const h = harness(drill, [
      { name: 'lease.takeover_s', value: 6, unit: 's', errorS: 0.01, status: 'measured' },
    ]);
    h.cluster.leaseDurationSeconds = 4;
    h.cluster.leaderElectionOutput = () =>
      ['kube-scheduler', 'kube-controller-manager']
        .map(
          (c) =>
            `#kha-le ${c}\n#kha-le-src process\n${c}\n--leader-elect-lease-duration=4s\n--leader-elect-renew-deadline=3s\n--leader-elect-retry-period=1s\n`,
        )
        .join('');
    const r = await runDrill(h.deps);
    expect(h.cluster.reads.map((x) => x.master)).toEqual(['master-1', 'master-2', 'master-3']);
    // 4 + 2.2 × 1 = 6.2 with the cluster's values (15 + 4.4 = 19.4 with the inventory's)
    expect(r.verdicts[0]).toMatchObject({ status: 'pass', bound: '< 6.2' });
    expect(r.verdicts[0]!.message).toMatch(/kube-system\/kube-scheduler's observed 4\/3\/1 s/);
    expect(h.progress.lines).toContain(
      "warn kube-system/kube-scheduler: the cluster's leaseDuration is 4s (Lease spec.leaseDurationSeconds) but the inventory says 15s; SLO bounds use 4s",
    );
    const notes = h.timeline.events().flatMap((e) => (e.kind === 'mark' ? [e.message] : []));
    expect(
      notes.some((m) =>
        m.startsWith(
          'leader-election timings read from the cluster: kube-system/kube-scheduler: leaseDuration 4s',
        ),
      ),
    ).toBe(true);
  });

  it('an inject command that fails before it takes effect: exit 4, nothing left to restore', async () => {
    const h = harness();
    h.cluster.failing = /systemctl stop/;
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'error', exitCode: 4, restore: { ok: true } });
    expect(r.errors[0]).toMatch(
      /inject step 1 failed: `systemctl stop kube-scheduler` on master-1 \(10.0.0.1\) exited 1/,
    );
    // the scheduler still runs as before: its undo is not needed, and no journal is left
    expect(h.cluster.commands.map((c) => c.command)).not.toContain('systemctl start kube-scheduler');
    expect(readPendingJournal(env, 'test-cluster')).toBeNull();
  });

  it('restores after an inject command fails once it took effect (exit 4)', async () => {
    const h = harness();
    const exec = h.cluster.exec.bind(h.cluster);
    h.cluster.exec = async (m, command) => {
      const res = await exec(m, command);
      // the unit stopped, but the command reports a failure (e.g. a stop job that timed out)
      return innerCommand(command) === 'systemctl stop kube-scheduler'
        ? { ...res, code: 1, stderr: 'job timed out' }
        : res;
    };
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'error', exitCode: 4, restore: { ok: true } });
    expect(h.cluster.commands.map((c) => c.command)).toContain('systemctl start kube-scheduler');
  });

  it('restores after the observe timeout; no SLO and until not met → exit 1', async () => {
    const h = harness();
    h.cluster.leaseStuck = true;
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'fail', exitCode: 1, restore: { ok: true } });
    expect(h.timeline.events().some((e) => e.kind === 'mark' && e.mark === 'timeout')).toBe(true);
    expect(allActive(h.cluster)).toBe(true);
  });

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`restores after ${sig} during observe (exit 4, interrupted); a second signal lists what is pending`, async () => {
      const h = harness();
      h.cluster.leaseStuck = true;
      h.cluster.afterCommand = (_m, command) => {
        if (command === 'systemctl stop kube-scheduler') {
          setImmediate(() => h.signals.get(sig)?.());
        }
        if (command === 'systemctl start kube-scheduler') h.signals.get(sig)?.();
      };
      const r = await runDrill(h.deps);
      expect(r).toMatchObject({ outcome: 'interrupted', exitCode: 4, restore: { ok: true } });
      expect(allActive(h.cluster)).toBe(true);
      expect(
        h.progress.lines.some((l) =>
          /still restoring, please wait. Pending: start kube-scheduler on master-1/.test(l),
        ),
      ).toBe(true);
      expect(h.timeline.events().some((e) => e.kind === 'mark' && e.mark === 'interrupted')).toBe(true);
    });
  }

  it('says RESTORE FAILED (exit 5) and keeps the journal when the undo cannot be verified', async () => {
    const h = harness();
    h.cluster.failing = /^systemctl start/;
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'restore-failed', exitCode: 5, restore: { ok: false } });
    expect(r.summary).toMatch(/^RESTORE FAILED/);
    expect(r.restore.pending[0]).toMatch(/start kube-scheduler on master-1/);
    const pending = readPendingJournal(env, 'test-cluster');
    expect(pending?.entries[0]).toMatchObject({
      status: 'failed',
      master: 'master-1',
      commands: ['systemctl start kube-scheduler'],
    });
    // retried with backoff: 3 attempts
    expect(h.cluster.commands.filter((c) => c.command === 'systemctl start kube-scheduler')).toHaveLength(3);
  });

  it('says RESTORE FAILED (exit 5) when a service that ran before the fault is not running after restore', async () => {
    const h = harness();
    h.deps.tuning.servicesSettleS = 2;
    // a component that dies of the fault (as kube-controller-manager does on losing its Lease)
    h.cluster.afterCommand = (_m, command) => {
      if (command === 'systemctl stop kube-scheduler')
        h.cluster.units.set('master-2/kube-controller-manager', false);
    };
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'restore-failed', exitCode: 5 });
    const guard = (c: string) => `{ systemctl is-active ${c} >/dev/null 2>&1 || systemctl start ${c}; }`;
    const units = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'];
    expect(r.restore.pending).toEqual([
      `as found: ${units.join(', ')} running on master-2 as before the drill: ${units.map(guard).join(' && ')} (no dead-man's switch; \`kha-drill recover -i <inventory>\` replays it)`,
    ]);
    expect(h.cluster.commands.map((c) => c.command)).not.toContain('systemctl start kube-controller-manager');
    // master-2's "as found" check is left in the journal, so `kha-drill recover` starts what it
    // lacks; the other masters' are done
    const entries = readPendingJournal(env, 'test-cluster')?.entries ?? [];
    expect(entries.filter((e) => e.stage === 'as-found').map((e) => [e.id, e.status, e.error])).toEqual([
      ['found.master-1', 'done', undefined],
      [
        'found.master-2',
        'failed',
        'not active after restore (active before the drill): kube-controller-manager',
      ],
      ['found.master-3', 'done', undefined],
    ]);
    expect(entries.find((e) => e.id === 'found.master-2')).toMatchObject({
      verify: units.map((c) => `systemctl is-active ${c} >/dev/null 2>&1`).join(' && '),
    });
  });

  it('refuses to start while a journal is pending, naming it and recover (exit 3)', async () => {
    const first = harness();
    first.cluster.failing = /^systemctl start/;
    await runDrill(first.deps);
    const h = harness();
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'not-steady', exitCode: 3 });
    expect(r.errors[0]).toMatch(/restore journal of cluster test-cluster is pending \(run run-1/);
    expect(r.errors[0]).toMatch(/kha-drill recover/);
    expect(h.cluster.commands).toEqual([]);
  });

  it('exits 3 with nothing injected when the first target cannot be resolved', async () => {
    const h = harness(fakeDrill({ steadyState: [] }));
    h.cluster.schedulerHolder = null;
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'not-steady', exitCode: 3, restore: { ok: true } });
    expect(r.errors[0]).toMatch(
      /inject step 1 \(stopService lease-holder:kube-system\/kube-scheduler\): Lease kube-system\/kube-scheduler has no holder/,
    );
    expect(h.cluster.commands.filter((c) => !readOnly(c.command))).toEqual([]);
  });

  it('refuses to act on a cluster another run is acting on (exit 3), then runs once it is released', async () => {
    const release = acquireRunLock(env, 'test-cluster', 'other-run');
    const h = harness();
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'not-steady', exitCode: 3 });
    expect(r.errors[0]).toMatch(/another run \(other-run, pid \d+/);
    expect(h.cluster.connects).toEqual([]);
    release();
    expect((await runDrill(harness().deps)).exitCode).toBe(0);
  });

  it('stops before injecting when a master cannot be reached (exit 3)', async () => {
    const h = harness();
    h.cluster.unreachable.add('master-2');
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'not-steady', exitCode: 3 });
    expect(r.errors[0]).toMatch(/master-2 \(10.0.0.2\): cannot connect/);
    expect(h.cluster.commands).toEqual([]);
  });

  it('stops before injecting when an etcd member does not answer (exit 3)', async () => {
    const h = harness();
    h.cluster.units.set('master-3/etcd', false);
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ exitCode: 3 });
    expect(r.errors[0]).toMatch(
      /etcd members not answering:\n {2}master-3 \(http:\/\/10.0.0.3:2379\): connection refused/,
    );
    expect(h.cluster.commands.filter((c) => !readOnly(c.command))).toEqual([]);
  });

  it('a failed steady state stops the watchers started beside it, without waiting for them', async () => {
    // the raft watcher is declared but never sees anything: readiness would wait 10 s
    const h = harness(
      fakeDrill({
        steadyState: [{ check: 'servicesActive', services: ['kube-scheduler'] }],
        watchers: { raft: { interval: '100ms' } },
      }),
    );
    h.cluster.units.set('master-2/kube-scheduler', false);
    let started = 0;
    let stopped = 0;
    h.deps.ports.startWatchers = async () => {
      started++;
      return async () => {
        stopped++;
      };
    };
    const t0 = h.clock.monotonicMs();
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'not-steady', exitCode: 3 });
    expect([started, stopped]).toEqual([1, 1]);
    // time moves only when the engine sleeps: far less than the 10 s readiness timeout went by
    expect(h.clock.monotonicMs() - t0).toBeLessThan(5_000);
    expect(h.timeline.events().some((e) => e.kind === 'step')).toBe(false);
  });

  it('stops before injecting when the steady state does not hold (exit 3)', async () => {
    const h = harness(
      fakeDrill({ steadyState: [{ check: 'servicesActive', services: ['kube-scheduler'] }] }),
    );
    h.cluster.units.set('master-2/kube-scheduler', false);
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'not-steady', exitCode: 3 });
    expect(r.errors[0]).toMatch(/not active: kube-scheduler on master-2/);
    expect(h.cluster.commands.every((c) => readOnly(c.command))).toBe(true);
  });

  const twoEtcd = {
    inject: [
      { action: 'stopService', target: 'master:master-1', service: 'etcd' },
      { action: 'stopService', target: 'master:master-2', service: 'etcd' },
    ],
    observe: { timeout: '1s', settle: '0s' },
  };

  it('refuses a plan that stops 2 of 3 etcd members (exit 2), touching nothing', async () => {
    for (const [extra, yes] of [
      [{}, true],
      [{ allowQuorumLoss: true }, false],
    ] as const) {
      const h = harness(fakeDrill({ ...twoEtcd, ...extra }));
      h.deps.input.yes = yes;
      const r = await runDrill(h.deps);
      expect(r.exitCode).toBe(2);
      expect(r.errors[0]).toMatch(/takes down 2 of 3 etcd members \(master-1, master-2\): etcd loses quorum/);
      expect(h.cluster.commands.filter((c) => !readOnly(c.command))).toEqual([]);
    }
  });

  it('runs it with allowQuorumLoss and --yes, and restores both', async () => {
    const h = harness(fakeDrill({ ...twoEtcd, allowQuorumLoss: true, steadyState: [] }));
    h.deps.input.yes = true;
    const r = await runDrill(h.deps);
    expect(r.restore.ok).toBe(true);
    const cmds = h.cluster.commands.map((c) => `${c.master}: ${c.command}`);
    expect(cmds.indexOf('master-2: systemctl start etcd')).toBeLessThan(
      cmds.indexOf('master-1: systemctl start etcd'),
    );
    expect(allActive(h.cluster)).toBe(true);
  });

  it('aborts when an abort expression holds, restores at once (exit 1)', async () => {
    const outage: MetricResult = {
      name: 'apiserver.max_outage_s',
      value: 40,
      unit: 's',
      errorS: 0.1,
      status: 'measured',
    };
    const h = harness(fakeDrill({ abort: ['apiserver.max_outage_s > 30'] }), [outage]);
    h.cluster.leaseStuck = true;
    const r = await runDrill(h.deps);
    expect(r).toMatchObject({ outcome: 'fail', exitCode: 1 });
    expect(r.summary).toMatch(/aborted: abort condition 'apiserver.max_outage_s > 30' holds/);
    expect(allActive(h.cluster)).toBe(true);
  });

  it('runs the drill restore steps after the undo, resolving step:<id>', async () => {
    const h = harness(
      fakeDrill({
        restore: [{ action: 'restartService', target: 'step:victim', service: 'kube-scheduler' }],
      }),
    );
    // the step is in the journal (and its copy on the master) before its command runs
    let journaledWhenRun: unknown[] = [];
    h.cluster.afterCommand = (_m, command) => {
      if (command === 'systemctl restart kube-scheduler')
        journaledWhenRun = (readPendingJournal(env, 'test-cluster')?.entries ?? [])
          .filter((e) => e.status === 'pending')
          .map((e) => e.id);
    };
    const r = await runDrill(h.deps);
    expect(r.exitCode).toBe(0);
    const changing = h.cluster.commands.filter(
      (c) => !readOnly(c.command) && !c.command.includes('/var/lib/kha-drill/journal/'),
    );
    expect(changing.at(-1)).toEqual({
      master: 'master-1',
      command: 'systemctl restart kube-scheduler',
    });
    expect(journaledWhenRun).toEqual(['found.master-1', 'found.master-2', 'found.master-3', 'restore-0.0']);
    expect(h.cluster.commands.map((c) => c.command)).toContainEqual(
      expect.stringMatching(
        /^mkdir -p \/var\/lib\/kha-drill\/journal && printf .*"id":"restore-0\.0","stage":"restore"/,
      ),
    );
    // all done once the run ends: nothing for recover
    expect(readPendingJournal(env, 'test-cluster')).toBeNull();
  });
});
