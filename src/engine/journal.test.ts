import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireRunLock, indexPath, Journal, lockPath, readPendingJournal } from './journal.js';

const undo = (id: string) => ({
  id,
  master: 'm1',
  description: `undo ${id}`,
  commands: ['systemctl start x'],
  verify: 'systemctl is-active x',
});

function setup() {
  const env = { KHA_STATE_DIR: mkdtempSync(join(tmpdir(), 'kha-j-')) };
  const runDir = mkdtempSync(join(tmpdir(), 'kha-jr-'));
  const j = Journal.create(env, { cluster: 'c1', runId: 'r1', drill: 'd', runDir });
  return { env, runDir, j };
}

describe('journal', () => {
  it('writes nothing until the first undo', () => {
    const { env, runDir, j } = setup();
    expect(existsSync(indexPath(env, 'c1'))).toBe(false);
    j.close();
    expect(existsSync(join(runDir, 'journal.ndjson'))).toBe(false);
  });

  it('appends the undo and indexes it before the inject; a killed run leaves it pending', () => {
    const { env, runDir, j } = setup();
    j.add(undo('inject-0.0'));
    // (no close: as if killed)
    const lines = readFileSync(join(runDir, 'journal.ndjson'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      type: 'undo',
      id: 'inject-0.0',
      commands: ['systemctl start x'],
    });
    const pending = readPendingJournal(env, 'c1');
    expect(pending).toMatchObject({ runId: 'r1', journalFile: join(runDir, 'journal.ndjson') });
    expect(pending?.entries.map((e) => e.status)).toEqual(['pending']);
  });

  it('marks undos done and removes the index once nothing is pending', () => {
    const { env, runDir, j } = setup();
    j.add(undo('a'));
    j.add(undo('b'));
    j.mark('b', 'done');
    expect(readPendingJournal(env, 'c1')?.entries.map((e) => e.status)).toEqual(['pending', 'done']);
    j.mark('a', 'done');
    j.close();
    expect(readPendingJournal(env, 'c1')).toBeNull();
    expect(existsSync(indexPath(env, 'c1'))).toBe(false);
    const types = readFileSync(join(runDir, 'journal.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type);
    expect(types).toEqual(['undo', 'undo', 'done', 'done']);
  });

  it('keeps failed undos pending for recover, which resumes and finishes them', () => {
    const { env, j } = setup();
    j.add(undo('a'));
    j.mark('a', 'failed', 'exited 1');
    j.close();
    const idx = readPendingJournal(env, 'c1');
    expect(idx?.entries[0]).toMatchObject({ status: 'failed', error: 'exited 1' });
    const resumed = Journal.resume(env, idx!);
    expect(resumed.pending().map((e) => e.id)).toEqual(['a']);
    resumed.mark('a', 'done');
    resumed.close();
    expect(readPendingJournal(env, 'c1')).toBeNull();
  });

  it('lets one run at a time act on a cluster, and takes over a stale lock', () => {
    const { env } = setup();
    const release = acquireRunLock(env, 'c1', 'r1');
    expect(() => acquireRunLock(env, 'c1', 'r2')).toThrow(
      /another run \(r1, pid \d+ on .*\) is acting on cluster c1/,
    );
    release();
    const again = acquireRunLock(env, 'c1', 'r3');
    again();
    // a lock left by a dead process
    writeFileSync(
      lockPath(env, 'c1'),
      JSON.stringify({ pid: 2 ** 22 + 12345, runId: 'dead', host: hostname() }),
    );
    expect(() => acquireRunLock(env, 'c1', 'r4')()).not.toThrow();
  });
});
