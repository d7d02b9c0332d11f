/**
 * Two runs must never hold a lock at once. 8 real processes race for it, 10 times over, from no
 * lock and from a stale one: exactly one wins each time. The run lock is raced by 8 Node
 * processes running the real `acquireRunLock` (journal.ts bundled for them); the cluster lock by
 * 8 concurrent `acquireLock` calls, each of whose scripts runs in its own real `sh`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Master } from '../config/schema.js';
import { LockHeldError, acquireLock, type LockRemote } from './cluster-lock.js';

const PROCESSES = 8;
const TRIALS = 10;
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kha-lock-race-'));
  bundle = path.join(dir, 'journal.mjs');
  const b = await rolldown({
    input: fileURLToPath(new URL('./journal.ts', import.meta.url)),
    platform: 'node',
    external: [/^node:/],
    logLevel: 'silent',
  });
  await b.write({ file: bundle, format: 'esm' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One contender: waits for the common start, takes the lock or is refused, holds it 200 ms. */
const CONTENDER = `
const [bundle, stateDir, startAt, id] = process.argv.slice(1);
const { acquireRunLock } = await import(bundle);
while (Date.now() < Number(startAt)) {}
try {
  acquireRunLock({ KHA_STATE_DIR: stateDir }, 'race', 'run-' + id);
  const from = Date.now();
  await new Promise((r) => setTimeout(r, 200));
  process.stdout.write('HELD ' + from + ' ' + Date.now());
} catch (e) {
  process.stdout.write(e.code === 'E_RUN_LOCKED' ? 'REFUSED' : 'ERROR ' + e.message);
}
`;

function contender(stateDir: string, startAt: number, id: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CONTENDER, bundle, stateDir, String(startAt), String(id)],
      (err, stdout, stderr) => resolve(err ? `FAILED ${stderr}` : stdout),
    );
  });
}

/** A process id that is not running (the lock of a run killed with SIGKILL). */
const DEAD_PID = 2 ** 22 + 12345;

describe('the run lock under 8 concurrent processes', () => {
  for (const start of ['free', 'stale'] as const) {
    it(`never has two holders (${TRIALS} trials, lock ${start} at the start)`, async () => {
      for (let trial = 0; trial < TRIALS; trial++) {
        const stateDir = path.join(dir, `${start}-${trial}`);
        if (start === 'stale') {
          const lock = path.join(stateDir, 'journal', 'race.lock');
          const { mkdirSync } = await import('node:fs');
          mkdirSync(path.dirname(lock), { recursive: true });
          writeFileSync(lock, JSON.stringify({ pid: DEAD_PID, runId: 'dead', host: os.hostname() }) + '\n');
        }
        // node takes ~100 ms to start: all of them wait for a common moment
        const startAt = Date.now() + 400;
        const results = await Promise.all(
          Array.from({ length: PROCESSES }, (_, i) => contender(stateDir, startAt, i)),
        );
        expect(results.filter((r) => r !== 'REFUSED' && !r.startsWith('HELD '))).toEqual([]);
        // Never two at once. A contender that a loaded machine starts after the holder has exited
        // may take the lock over (its pid is gone: stale), so holders are compared by interval.
        const held = results
          .filter((r) => r.startsWith('HELD '))
          .map((r) => r.split(' ').slice(1).map(Number) as [number, number])
          .sort((a, b) => a[0] - b[0]);
        expect(held.length, `trial ${trial}: ${results.join(' ')}`).toBeGreaterThanOrEqual(1);
        for (let i = 1; i < held.length; i++)
          expect(
            held[i]![0],
            `trial ${trial}: two holders at once: ${results.join(' ')}`,
          ).toBeGreaterThanOrEqual(held[i - 1]![1]);
      }
    }, 60_000);
  }
});

const master: Master = {
  name: 'master-1',
  host: '10.0.0.1',
  nodeName: 'master-1',
  etcd: 'http://x:2379',
  apiserver: 'http://x:6443',
};

const localSh: LockRemote = {
  connect: async () => {},
  exec: (_m, command) =>
    new Promise((resolve) => {
      execFile('sh', ['-c', command], (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    }),
};

describe('the cluster lock under 8 concurrent shells', () => {
  for (const start of ['free', 'stale'] as const) {
    it(`never has two holders (${TRIALS} trials, lock ${start} at the start)`, async () => {
      for (let trial = 0; trial < TRIALS; trial++) {
        const file = path.join(dir, `cluster-${start}-${trial}`, 'kha-drill.lock');
        if (start === 'stale') {
          const { mkdirSync } = await import('node:fs');
          mkdirSync(path.dirname(file), { recursive: true });
          const stale = {
            owner: 'old@gone',
            pid: 1,
            runId: 'run-dead',
            token: 'dead',
            created: '2020-01-01T00:00:00Z',
            expires: '2020-01-01T00:10:00Z',
            expiresEpoch: 1577837400,
          };
          writeFileSync(file, JSON.stringify(stale) + '\n');
        }
        const outcomes = await Promise.all(
          Array.from({ length: PROCESSES }, (_, i) =>
            acquireLock(
              localSh,
              [master],
              { owner: 'sre@runner', pid: 100 + i, runId: `run-${i}` },
              { file },
            ).then(
              () => 'HELD',
              (e: unknown) => (e instanceof LockHeldError ? 'REFUSED' : `ERROR ${String(e)}`),
            ),
          ),
        );
        expect(outcomes.filter((o) => !['HELD', 'REFUSED'].includes(o))).toEqual([]);
        expect(
          outcomes.filter((o) => o === 'HELD'),
          `trial ${trial}: ${outcomes.join(' ')}`,
        ).toHaveLength(1);
        // the holder is the one the file names
        expect(readFileSync(file, 'utf8')).toMatch(/"runId":"run-\d"/);
      }
    }, 60_000);
  }
});
