/**
 * The dead-man's switch: its command strings (quoted for a real /bin/sh), its TTL, when a step
 * has none, and in a run: armed before the fault, disarmed after the verified undo, a step
 * refused when it cannot be armed, left armed (and said) when the undo cannot be verified.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  armCommand,
  chooseSwitch,
  describeSwitchDeadline,
  disarmCommand,
  restoreBackoffMs,
  switchTtlS,
  switchUnit,
} from './dead-man-switch.js';
import { readPendingJournal } from './journal.js';
import { runDrill } from './run.js';
import { quietRunDeps as deps, stateEnv } from './testing/run-deps.js';
import { FakeCluster, fakeDrill, fakeInventory } from './testing/fakes.js';
import type { UndoSpec } from './types.js';

const undo: UndoSpec = {
  id: 'inject.0.0',
  master: 'master-1',
  description: "start it's unit on master-1",
  commands: [
    'systemctl start kube-scheduler',
    "iptables -w -D INPUT -m comment --comment 'kha-drill:r 1' -j DROP",
  ],
};

describe('switch commands', () => {
  it('names the unit in the characters systemd allows', () => {
    expect(switchUnit('20260101T000000Z-scheduler failover', 'inject.0.1')).toBe(
      'kha-drill-heal-20260101T000000Z-scheduler-failover-inject-0-1',
    );
  });

  it('arms a transient timer whose words reach systemd-run exactly (real /bin/sh)', () => {
    const cmd = armCommand({ unit: 'kha-drill-heal-r-inject-0-0', ttlS: 15 }, undo);
    // the same words, printed one per line by sh instead of given to systemd-run
    const words = execFileSync('/bin/sh', ['-c', cmd.replace(/^systemd-run /, "printf '%s\\n' ")], {
      encoding: 'utf8',
    })
      .trimEnd()
      .split('\n');
    expect(words).toEqual([
      '--quiet',
      '--collect',
      '--unit=kha-drill-heal-r-inject-0-0',
      '--on-active=15s',
      '--timer-property=AccuracySec=100ms',
      "--description=kha-drill dead-man switch: start it's unit on master-1",
      '/bin/sh',
      '-c',
      "systemctl start kube-scheduler && iptables -w -D INPUT -m comment --comment 'kha-drill:r 1' -j DROP",
    ]);
  });

  it('disarms by stopping the timer, and succeeds only once it is not active', () => {
    expect(disarmCommand({ unit: 'kha-drill-heal-r-x', ttlS: 1 })).toBe(
      'systemctl stop -- kha-drill-heal-r-x.timer 2>/dev/null; ! systemctl is-active --quiet -- kha-drill-heal-r-x.timer',
    );
  });

  it('says when a journaled switch fires, or that it has', () => {
    const entry = {
      master: 'master-1',
      at: '2026-01-01T00:00:00.000Z',
      switch: { unit: 'kha-drill-heal-r-x', ttlS: 120 },
    };
    const t0 = Date.parse(entry.at);
    expect(describeSwitchDeadline(entry, t0 + 20_000)).toBe(
      "its dead-man's switch kha-drill-heal-r-x on master-1 fires in about 100 s unless disarmed",
    );
    expect(describeSwitchDeadline(entry, t0 + 130_000)).toBe(
      "its dead-man's switch kha-drill-heal-r-x on master-1 fired about 10 s ago (if it was still armed)",
    );
    expect(describeSwitchDeadline({ master: 'm', at: entry.at }, t0)).toBeNull();
  });

  it('TTL: observe timeout + settle + restore budget + margin, or the drill’s safety.switchTtl', () => {
    expect(switchTtlS(fakeDrill({ observe: { timeout: '60s', settle: '2s' } }))).toBe(152);
    expect(switchTtlS(fakeDrill({ safety: { switchTtl: '15s' } }))).toBe(15);
    // the restore budget follows the drill's: 3 tries of 10 s doubling wait 10 + 20 s, + 45 s
    expect(
      switchTtlS(
        fakeDrill({
          observe: { timeout: '60s', settle: '2s' },
          safety: { restore: { tries: 3, backoff: '10s' } },
        }),
      ),
    ).toBe(60 + 2 + 75 + 30);
  });

  it('the drill sets the restore budget: tries and doubling backoff', () => {
    expect(restoreBackoffMs(fakeDrill())).toEqual([1000, 2000, 4000, 8000]);
    expect(restoreBackoffMs(fakeDrill({ safety: { restore: { tries: 3, backoff: '500ms' } } }))).toEqual([
      500, 1000,
    ]);
    expect(restoreBackoffMs(fakeDrill({ safety: { restore: { tries: 1 } } }))).toEqual([]);
  });

  it('none for static pods, custom managers, an undo with a secret, or a drill that opts out', () => {
    const sp = fakeInventory(3, { services: { manager: 'static-pod' } });
    expect(chooseSwitch(fakeDrill(), sp, 'r', undo)).toEqual({
      none: 'no switch on static-pod hosts yet (systemd only)',
    });
    expect(chooseSwitch(fakeDrill({ safety: { switch: false } }), fakeInventory(), 'r', undo)).toEqual({
      none: 'the drill opts out (safety.switch: false)',
    });
    const secret = { ...undo, commands: ['restore-config --password=hunter2-hunter2'] };
    expect(chooseSwitch(fakeDrill(), fakeInventory(), 'r', secret)).toEqual({
      none: 'its undo holds a secret, which a unit on the master would expose',
    });
    expect(chooseSwitch(fakeDrill(), fakeInventory(), 'r', undo)).toEqual({
      spec: { unit: 'kha-drill-heal-r-inject-0-0', ttlS: 95 },
    });
  });
});

const changing = (c: FakeCluster) =>
  c.commands
    .map((x) => x.command)
    .filter((x) => !x.startsWith('systemctl is-active') && !x.includes('systemctl cat'));

describe('the switch in a run', () => {
  it('a step whose switch cannot be armed is refused: nothing injected, exit 4, no journal', async () => {
    const cluster = new FakeCluster(fakeInventory());
    cluster.failing = /systemd-run/;
    const env = stateEnv();
    const r = await runDrill(deps(cluster, fakeDrill(), env));
    expect(r.exitCode).toBe(3);
    expect(r.errors.join('\n')).toMatch(
      /inject step 1 refused \(nothing injected\): could not arm its dead-man's switch on master-1/,
    );
    expect(changing(cluster).filter((c) => c.startsWith('systemctl stop kube-scheduler'))).toEqual([]);
    expect(readPendingJournal(env, 'test-cluster')).toBeNull();
  });

  it('restore tries an undo as often as the drill says, then says what heals it', async () => {
    const cluster = new FakeCluster(fakeInventory());
    cluster.failing = /^systemctl start/;
    const d = deps(cluster, fakeDrill({ safety: { restore: { tries: 3, backoff: '10ms' } } }), stateEnv());
    // the test harness shortens waits; here the drill's own budget must apply
    delete d.tuning?.restoreBackoffMs;
    const r = await runDrill(d);
    expect(r.exitCode).toBe(5);
    expect(cluster.commands.filter((c) => c.command === 'systemctl start kube-scheduler')).toHaveLength(3);
    expect(r.restore.pending[0]).toMatch(/`kha-drill recover -i <inventory>` replays it\)$/);
  });

  it('an undo that cannot be verified leaves its switch armed, journaled, and says so', async () => {
    const cluster = new FakeCluster(fakeInventory());
    cluster.failing = /^systemctl start/;
    const env = stateEnv();
    const r = await runDrill(deps(cluster, fakeDrill(), env));
    expect(r.exitCode).toBe(5);
    expect(r.restore.pending[0]).toMatch(
      /its dead-man's switch kha-drill-heal-run-1-inject-0-0 on master-1 (fires in about \d+ s unless disarmed|fired about \d+ s ago \(if it was still armed\)); `kha-drill recover -i <inventory>` replays it\)$/,
    );
    expect(changing(cluster).some((c) => c.startsWith('systemctl stop -- kha-drill-heal'))).toBe(false);
    expect(readPendingJournal(env, 'test-cluster')?.entries[0]?.switch).toEqual({
      unit: 'kha-drill-heal-run-1-inject-0-0',
      ttlS: 95,
      armedAt: expect.any(String),
    });
  });
});
