/**
 * The lock's shell scripts, run by a real local `sh` (the same dash/bash a master runs) against
 * a lock file in a temp dir: atomic create, refusal, stale takeover, refresh, owner-only release.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Master } from '../config/schema.js';
import { LockHeldError, acquireLock, parseLockInfo, type LockRemote } from './cluster-lock.js';

const master = (name: string): Master => ({
  name,
  host: `10.0.0.${name.slice(-1)}`,
  nodeName: name,
  etcd: 'http://x:2379',
  apiserver: 'http://x:6443',
});
const masters = [master('master-1'), master('master-2')];

function localSh(unreachable: string[] = []): LockRemote & { commands: string[] } {
  const commands: string[] = [];
  return {
    commands,
    connect: async (m) => {
      if (unreachable.includes(m.name)) throw new Error('connect ECONNREFUSED');
    },
    exec: (_m, command) =>
      new Promise((resolve) => {
        commands.push(command);
        execFile('sh', ['-c', command], (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      }),
  };
}

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kha-lock-'));
  file = path.join(dir, 'sub', 'kha-drill.lock');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const owner = (runId: string) => ({ owner: 'sre@runner-1', pid: 4242, runId });

describe('acquireLock', () => {
  it('creates the lock with owner, times and expiry, and removes it on release', async () => {
    const remote = localSh();
    const lock = await acquireLock(remote, masters, owner('run-a'), { file, ttlS: 60 });
    const info = parseLockInfo(readFileSync(file, 'utf8'));
    expect(info).toMatchObject({ owner: 'sre@runner-1', pid: 4242, runId: 'run-a' });
    expect(info!.expiresEpoch - Date.now() / 1000).toBeGreaterThan(55);
    expect(info!.expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lock.master.name).toBe('master-1');
    await lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('refuses while a live lock exists, naming its owner (exit 3)', async () => {
    const remote = localSh();
    const first = await acquireLock(remote, masters, owner('run-a'), { file, ttlS: 60 });
    const err = await acquireLock(remote, masters, owner('run-b'), { file, ttlS: 60 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).exitCode).toBe(3);
    expect((err as LockHeldError).message).toMatch(/held by sre@runner-1 \(pid 4242, run run-a\)/);
    expect(parseLockInfo(readFileSync(file, 'utf8'))?.runId).toBe('run-a');
    await first.release();
  });

  it('takes over an expired lock with a message', async () => {
    const remote = localSh();
    const stale = {
      owner: 'old@gone',
      pid: 1,
      runId: 'run-dead',
      token: 'deadbeef',
      created: '2020-01-01T00:00:00Z',
      expires: '2020-01-01T00:10:00Z',
      expiresEpoch: 1577837400,
    };
    writeFileSync(path.join(dir, 'stale.lock'), `${JSON.stringify(stale)}\n`);
    const staleFile = path.join(dir, 'stale.lock');
    const warnings: string[] = [];
    const lock = await acquireLock(remote, masters, owner('run-c'), {
      file: staleFile,
      ttlS: 60,
      warn: (m) => warnings.push(m),
    });
    expect(parseLockInfo(readFileSync(staleFile, 'utf8'))?.runId).toBe('run-c');
    expect(warnings.join('\n')).toMatch(/took over a stale lock .*old@gone .*run-dead/);
    expect(existsSync(`${staleFile}.takeover`)).toBe(false);
    await lock.release();
  });

  it('refreshes the expiry, and notices when the lock was taken from it', async () => {
    const remote = localSh();
    const warnings: string[] = [];
    const lock = await acquireLock(remote, masters, owner('run-a'), {
      file,
      ttlS: 5,
      warn: (m) => warnings.push(m),
    });
    const before = lock.info.expiresEpoch;
    await new Promise((r) => setTimeout(r, 1100));
    expect(await lock.refresh()).toBe(true);
    expect(lock.info.expiresEpoch).toBeGreaterThan(before);
    expect(lock.info.created).toBe(parseLockInfo(readFileSync(file, 'utf8'))?.created);
    // someone else's lock replaces ours (e.g. it expired while this runner was suspended)
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"token":"[0-9a-f]+"/, '"token":"other"'));
    expect(await lock.refresh()).toBe(false);
    expect(warnings.join('\n')).toMatch(/is no longer ours: now held by sre@runner-1/);
    await lock.release();
    expect(existsSync(file)).toBe(true); // not ours: left alone
  });

  it('uses the first reachable master', async () => {
    const remote = localSh(['master-1']);
    const lock = await acquireLock(remote, masters, owner('run-a'), { file });
    expect(lock.master.name).toBe('master-2');
    await lock.release();
  });

  it('fails with exit 3 when no master is reachable', async () => {
    const remote = localSh(['master-1', 'master-2']);
    await expect(acquireLock(remote, masters, owner('run-a'), { file })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/no master reachable/),
    });
  });

  it('quotes every value it puts into the script', async () => {
    const remote = localSh();
    const weird = path.join(dir, "it's $(touch pwned) lock");
    const lock = await acquireLock(
      remote,
      masters,
      { owner: 'a"b@c;rm', pid: 7, runId: '$(id)' },
      { file: weird },
    );
    expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
    expect(parseLockInfo(readFileSync(weird, 'utf8'))).toMatchObject({ owner: 'a_b@c_rm', runId: '__id_' });
    await lock.release();
    expect(existsSync(weird)).toBe(false);
  });

  it('lets only one of many concurrent runners have it', async () => {
    const remote = localSh();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => acquireLock(remote, masters, owner(`run-${i}`), { file })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});
