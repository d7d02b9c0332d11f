import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Context } from '../../context.js';
import { indexPath, Journal, readPendingJournal } from '../../engine/journal.js';
import { FakeCluster, fakeInventory } from '../../engine/testing/fakes.js';
import { readCopiesCommand, type MasterCopy } from '../../engine/master-journal.js';
import type { Master } from '../../config/schema.js';
import type { Remote } from '../../engine/types.js';
import { runRecover } from './index.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'kha-recover-'));
  const inventory = fakeInventory();
  const file = join(dir, 'inventory.yaml');
  writeFileSync(file, stringify({ ...inventory, ssh: { identityFile: '/dev/null' } }));
  const out: string[] = [];
  const err: string[] = [];
  const ctx: Context = {
    stdout: { write: (s) => void out.push(s), isTTY: false },
    stderr: { write: (s) => void err.push(s), isTTY: false },
    env: { KHA_STATE_DIR: join(dir, 'state') },
    cwd: dir,
    onSignal: () => () => undefined,
  };
  const cluster = new FakeCluster(inventory);
  // what a killed run left: the scheduler and an etcd member stopped, their undos journaled
  cluster.units.set('master-1/kube-scheduler', false);
  cluster.units.set('master-2/etcd', false);
  const j = Journal.create(ctx.env, {
    cluster: 'test-cluster',
    runId: 'r1',
    drill: 'd',
    runDir: join(dir, 'run'),
  });
  j.add({
    id: 'inject-0.0',
    master: 'master-1',
    description: 'start kube-scheduler on master-1',
    commands: ['systemctl start kube-scheduler'],
    verify: 'systemctl is-active kube-scheduler',
  });
  j.add({
    id: 'inject-1.0',
    master: 'master-2',
    description: 'start etcd on master-2',
    commands: ['systemctl start etcd'],
    verify: 'systemctl is-active etcd',
  });
  return { ctx, out, err, cluster, file };
}

const noSleep = async () => undefined;

describe('kha-drill recover', () => {
  it('replays pending undos newest first, verifies them, clears the journal', async () => {
    const { ctx, out, cluster, file } = setup();
    // the run that wrote the journal is this very process: recover must not think it is still running
    const code = await runRecover(ctx, { inventory: file, force: true }, () => cluster, noSleep);
    expect(code).toBe(0);
    expect(
      cluster.commands
        .filter((c) => !c.command.includes('is-active') && !c.command.startsWith('systemctl list-timers'))
        .map((c) => `${c.master}: ${c.command}`),
    ).toEqual(['master-2: systemctl start etcd', 'master-1: systemctl start kube-scheduler']);
    // then it asks every master which switches are still armed (read-only)
    expect(
      cluster.commands.filter((c) => c.command.startsWith('systemctl list-timers')).map((c) => c.master),
    ).toEqual(['master-1', 'master-2', 'master-3']);
    expect([...cluster.units.values()].every(Boolean)).toBe(true);
    expect(readPendingJournal(ctx.env, 'test-cluster')).toBeNull();
    expect(out.join('')).toMatch(/2 pending undo\(s\) from run r1/);
    expect(await runRecover(ctx, { inventory: file }, () => cluster, noSleep)).toBe(0);
    expect(out.join('')).toMatch(/nothing to recover for cluster test-cluster/);
  });

  it('a run killed in restore: its undos first, then its restore steps, then "as found", each cleared', async () => {
    const { ctx, out, cluster, file } = setup();
    cluster.units.set('master-3/kube-controller-manager', false);
    const j = Journal.resume(ctx.env, readPendingJournal(ctx.env, 'test-cluster')!);
    j.add({
      id: 'found.master-3',
      stage: 'as-found',
      master: 'master-3',
      description: 'as found: kube-controller-manager running on master-3 as before the drill',
      commands: [
        '{ systemctl is-active kube-controller-manager >/dev/null 2>&1 || systemctl start kube-controller-manager; }',
      ],
      verify: 'systemctl is-active kube-controller-manager >/dev/null 2>&1',
    });
    j.add({
      id: 'restore-0.0',
      stage: 'restore',
      master: 'master-1',
      description: 'restore step 1 (startService) on master-1',
      commands: ['systemctl start kube-controller-manager'],
    });
    const code = await runRecover(ctx, { inventory: file, force: true }, () => cluster, noSleep);
    expect(code).toBe(0);
    expect(
      cluster.commands
        .filter(
          (c) =>
            !c.command.startsWith('systemctl is-active') && !c.command.startsWith('systemctl list-timers'),
        )
        .map((c) => `${c.master}: ${c.command}`),
    ).toEqual([
      'master-2: systemctl start etcd',
      'master-1: systemctl start kube-scheduler',
      'master-1: systemctl start kube-controller-manager',
      'master-3: { systemctl is-active kube-controller-manager >/dev/null 2>&1 || systemctl start kube-controller-manager; }',
    ]);
    expect([...cluster.units.values()].every(Boolean)).toBe(true);
    expect(readPendingJournal(ctx.env, 'test-cluster')).toBeNull();
    expect(out.join('')).toMatch(/4 pending undo\(s\) from run r1/);
    expect(out.join('')).toMatch(
      /- as found: kube-controller-manager running on master-3 as before the drill: /,
    );
  });

  it('exits 5 and keeps the journal when an undo cannot be verified', async () => {
    const { ctx, err, cluster, file } = setup();
    cluster.failing = /systemctl start etcd/;
    const code = await runRecover(ctx, { inventory: file, force: true }, () => cluster, noSleep);
    expect(code).toBe(5);
    expect(err.join('')).toMatch(/RESTORE FAILED: 1 undo\(s\) could not be applied/);
    expect(readPendingJournal(ctx.env, 'test-cluster')?.entries.map((e) => e.status)).toEqual([
      'done',
      'failed',
    ]);
  });

  it('refuses while the run that wrote the journal is still alive, unless --force', async () => {
    const { ctx, cluster, file } = setup();
    // pretend the journal was written by another live process on this machine (our parent)
    const index = indexPath(ctx.env, 'test-cluster');
    writeFileSync(index, JSON.stringify({ ...JSON.parse(readFileSync(index, 'utf8')), pid: process.ppid }));
    await expect(runRecover(ctx, { inventory: file }, () => cluster, noSleep)).rejects.toThrow(
      /is still running; it restores by itself/,
    );
    expect(cluster.commands).toEqual([]);
    expect(await runRecover(ctx, { inventory: file, force: true }, () => cluster, noSleep)).toBe(0);
  });

  it('--discard shows the entry, asks, and marks only what was accepted; nothing is run', async () => {
    const { ctx, out, cluster, file } = setup();
    const asked: string[] = [];
    const answers = [true];
    const ask = (q: string) => (asked.push(q), Promise.resolve(answers.shift() ?? false));
    const code = await runRecover(
      ctx,
      { inventory: file, force: true, discard: ['inject-1.0'] },
      () => cluster,
      noSleep,
      ask,
    );
    expect(code).toBe(0);
    expect(cluster.commands).toEqual([]);
    expect(asked).toEqual([expect.stringMatching(/^Discard inject-1\.0\?/)]);
    expect(out.join('')).toContain('undo: systemctl start etcd');
    expect(out.join('')).toMatch(/1 discarded; 1 still pending/);
    expect(readPendingJournal(ctx.env, 'test-cluster')?.entries.map((e) => e.status)).toEqual([
      'pending',
      'discarded',
    ]);
    // refused at the prompt: kept
    await runRecover(
      ctx,
      { inventory: file, force: true, discard: ['inject-0.0'] },
      () => cluster,
      noSleep,
      () => Promise.resolve(false),
    );
    expect(readPendingJournal(ctx.env, 'test-cluster')?.entries[0]?.status).toBe('pending');
    // --yes asks nothing; with nothing left pending the journal is cleared
    await runRecover(
      ctx,
      { inventory: file, force: true, discard: ['inject-0.0'], yes: true },
      () => cluster,
      noSleep,
      () => {
        throw new Error('asked despite --yes');
      },
    );
    expect(readPendingJournal(ctx.env, 'test-cluster')).toBeNull();
  });

  it('--discard without a terminal and without --yes refuses and changes nothing; unknown ids are named', async () => {
    const { ctx, cluster, file } = setup();
    await expect(
      runRecover(
        ctx,
        { inventory: file, force: true, discard: ['inject-0.0'] },
        () => cluster,
        noSleep,
        () => null,
      ),
    ).rejects.toThrow(/--discard inject-0\.0: no terminal to ask on/);
    await expect(
      runRecover(ctx, { inventory: file, force: true, discard: ['nope'], yes: true }, () => cluster, noSleep),
    ).rejects.toThrow(
      /--discard nope: no pending entry with that id in run r1's journal \(pending: inject-0\.0, inject-1\.0\)/,
    );
    await expect(runRecover(ctx, { inventory: file, yes: true }, () => cluster, noSleep)).rejects.toThrow(
      /--yes only goes with --discard/,
    );
    expect(readPendingJournal(ctx.env, 'test-cluster')?.entries.map((e) => e.status)).toEqual([
      'pending',
      'pending',
    ]);
    expect(cluster.commands).toEqual([]);
  });

  it("--from-masters: replays what the masters' copies leave not done, from a machine without the journal", async () => {
    const { ctx, out, err, cluster, file } = setup();
    const elsewhere: Context = { ...ctx, env: { KHA_STATE_DIR: join(ctx.cwd, 'elsewhere') } };
    const copy = (master: string, id: string, service: string, runId = 'r9'): MasterCopy => ({
      version: 1,
      cluster: 'test-cluster',
      runId,
      drill: 'd',
      host: 'lost-laptop',
      writtenAt: '2026-12-06T01:00:00.000Z',
      undo: {
        id,
        master,
        description: `start ${service} on ${master}`,
        commands: [`systemctl start ${service}`],
        verify: `systemctl is-active ${service}`,
      },
    });
    const line = (path: string, c: MasterCopy, status = '') => `${path}\t${JSON.stringify(c)}\t${status}\n`;
    const copies: Record<string, string> = {
      // pending: the switch has not fired
      'master-1': line(
        '/var/lib/kha-drill/journal/r9--inject-0.0.json',
        copy('master-1', 'inject-0.0', 'kube-scheduler'),
      ),
      // healed by the switch: verified only; and one already done, and one of another cluster
      'master-2':
        line(
          '/var/lib/kha-drill/journal/r9--inject-1.0.json',
          copy('master-2', 'inject-1.0', 'etcd'),
          '{"status":"healed","by":"dead-man\'s switch","at":"2026-12-06T01:02:00.000Z"}',
        ) +
        line(
          '/var/lib/kha-drill/journal/r8--inject-0.0.json',
          copy('master-2', 'inject-0.0', 'kube-apiserver', 'r8'),
          '{"status":"done","by":"kha-drill run","at":"2026-12-06T00:02:00.000Z"}',
        ) +
        line('/var/lib/kha-drill/journal/x--inject-0.0.json', {
          ...copy('master-2', 'inject-0.0', 'etcd'),
          cluster: 'other',
        }),
    };
    cluster.units.set('master-2/etcd', true);
    let unreadable = '';
    const remote: Remote = {
      connect: async () => undefined,
      close: async () => undefined,
      exec: async (m: Master, command: string) => {
        if (command !== readCopiesCommand()) return cluster.exec(m, command);
        if (m.name === unreadable) return { code: 255, stdout: '', stderr: 'connection refused' };
        return { code: 0, stdout: copies[m.name] ?? '', stderr: '' };
      },
    };
    const code = await runRecover(elsewhere, { inventory: file, fromMasters: true }, () => remote, noSleep);
    expect(code, err.join('')).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/journal copies on the masters of cluster test-cluster: 3 record\(s\), 2 not done/);
    expect(text).toMatch(
      /healed by dead-man's switch at 2026-12-06T01:02:00.000Z \(master's clock\); verifying/,
    );
    expect(cluster.units.get('master-1/kube-scheduler')).toBe(true);
    // each is marked done on its master, by recover
    const marks = cluster.commands.filter((c) =>
      c.command.includes("done 'kha-drill recover --from-masters'"),
    );
    expect(marks.map((c) => c.master).sort()).toEqual(['master-1', 'master-2']);
    expect(marks[0]!.command).toContain('.json.status');
    // nothing of the other cluster, nor the done one, was replayed
    expect(cluster.commands.some((c) => c.command === 'systemctl start kube-apiserver')).toBe(false);
    // a master that cannot be read: exit 5, said in one line
    unreadable = 'master-3';
    expect(await runRecover(elsewhere, { inventory: file, fromMasters: true }, () => remote, noSleep)).toBe(
      5,
    );
    expect(out.join('')).toMatch(
      /- master-3: ✗ could not read its journal copies: exited 255: connection refused/,
    );
  });
});
