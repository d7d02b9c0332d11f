/**
 * Issue 19: secrets are redacted once, before anything is trimmed, stored or printed: the
 * step output and errors, the streamed timeline, journal.ndjson and the state index.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli.js';
import type { Context } from '../context.js';
import { trimOutput } from '../ssh/errors.js';
import { Timeline } from '../timeline/index.js';
import { indexPath } from './journal.js';
import { MemoryProgress } from './progress.js';
import { runClock } from './clock.js';
import { runDrill } from './run.js';
import { FakeCluster, fakeDrill, fakeInventory } from './testing/fakes.js';

const TOKEN = 'SECRET-TOKEN-123';

describe('redaction comes before trimming', () => {
  it('a token cut in the middle by trimming does not leak its tail', () => {
    const out = trimOutput(`${'x'.repeat(50)}\napi_token=${TOKEN}\n`, 12);
    expect(out).not.toContain('TOKEN-123');
    expect(out).toContain('[REDACTED]');
  });
});

describe('every writer of a run redacts', () => {
  it('step output, errors, timeline.ndjson, journal.ndjson and the state index hold no secret', async () => {
    const env = { KHA_STATE_DIR: mkdtempSync(join(tmpdir(), 'kha-state-')) };
    const runDir = mkdtempSync(join(tmpdir(), 'kha-run-'));
    const inventory = fakeInventory();
    const cluster = new FakeCluster(inventory);
    // the undo fails, so the state index stays behind to be read
    cluster.failing = /password=/;
    const exec = cluster.exec.bind(cluster);
    cluster.exec = async (m, command) =>
      command.startsWith('show-config')
        ? { code: 1, stdout: `${'y'.repeat(600)}\napi_token=${TOKEN}\n`, stderr: `bad: api_token=${TOKEN}` }
        : exec(m, command);
    const timeline = new Timeline({ file: join(runDir, 'timeline.ndjson') });
    const r = await runDrill({
      input: {
        drill: fakeDrill({
          inject: [
            {
              action: 'ssh',
              target: 'master:master-2',
              command: 'show-config',
              undo: 'restore-config --password=hunter2-hunter2',
            },
          ],
        }),
        drillFile: 'drill.yaml',
        drillDigest: 'sha256:d',
        inventory,
        inventoryFile: 'inventory.yaml',
        inventoryDigest: 'sha256:i',
        runId: 'run-1',
        runDir,
        harnessVersion: '0.0.0',
        env,
        timings: { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 },
      },
      ports: {
        view: cluster,
        remote: cluster,
        timeline,
        startWatchers: async () => async () => {},
        computeMetrics: () => [],
        progress: new MemoryProgress(),
        onSignal: () => () => undefined,
        clock: runClock(async () => {}),
        random: () => 0,
      },
      tuning: { restoreBackoffMs: [1], verifyTimeoutS: 0 },
    });
    timeline.close();
    expect(r.exitCode).toBe(5);
    const files = [
      ...readdirSync(runDir).map((f) => readFileSync(join(runDir, f), 'utf8')),
      readFileSync(indexPath(env, 'test-cluster'), 'utf8'),
    ];
    expect(readdirSync(runDir).sort()).toEqual(['journal.ndjson', 'timeline.ndjson']);
    // the result in memory is exact (reports and the terminal redact it); its remote output is not
    expect(JSON.stringify([r.steps[0]?.output, r.steps[0]?.error, r.errors])).not.toContain('TOKEN-123');
    for (const text of files) {
      expect(text).not.toContain('TOKEN-123');
      expect(text).not.toContain('hunter2');
    }
    expect(files[0]).toContain('[REDACTED]');
  });

  it('the terminal: whatever a command prints passes through redaction', async () => {
    let stdout = '';
    let stderr = '';
    const ctx: Context = {
      stdout: { write: (s) => void (stdout += s), isTTY: false },
      stderr: { write: (s) => void (stderr += s), isTTY: false },
      env: {},
      cwd: tmpdir(),
      onSignal: () => () => undefined,
    };
    const code = await main(['run', `--format=json,password=${TOKEN}`, 'x'], ctx);
    expect(code).toBe(2);
    expect(stderr).toContain('[REDACTED]');
    expect(stdout + stderr).not.toContain('TOKEN-123');
  });
});

describe('recover and a redacted undo', () => {
  it('refuses to replay it, says why, and keeps it pending (exit 5)', async () => {
    const { Journal } = await import('./journal.js');
    const { runRecover } = await import('../commands/recover/index.js');
    const { writeFileSync } = await import('node:fs');
    const { stringify } = await import('yaml');
    const dir = mkdtempSync(join(tmpdir(), 'kha-recover-'));
    const inventory = fakeInventory();
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, stringify({ ...inventory, ssh: { identityFile: '/dev/null' } }));
    let out = '';
    const ctx: Context = {
      stdout: { write: (s) => void (out += s), isTTY: false },
      stderr: { write: () => undefined, isTTY: false },
      env: { KHA_STATE_DIR: join(dir, 'state') },
      cwd: dir,
      onSignal: () => () => undefined,
    };
    Journal.create(ctx.env, {
      cluster: 'test-cluster',
      runId: 'r1',
      drill: 'd',
      runDir: join(dir, 'run'),
    }).add({
      id: 'inject-0.0',
      master: 'master-1',
      description: 'undo of `x`',
      commands: ['restore-config --password=hunter2-hunter2'],
    });
    const cluster = new FakeCluster(inventory);
    const code = await runRecover(
      ctx,
      { inventory: file, force: true },
      () => cluster,
      async () => undefined,
    );
    expect(code).toBe(5);
    expect(out).toContain('NOT replayed: it held a secret, which was not stored; run it by hand');
    expect(cluster.commands.some((c) => c.command.includes('restore-config'))).toBe(false);
  });
});
