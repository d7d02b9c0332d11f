/**
 * Issue 19: the CLI as a hostile or careless user drives it. Every case here once gave a stack
 * trace, a hang, a silent misreading or an exit code that said more than was known; each is run
 * in-process through the real CLI entry (or the one function behind it) with a fake Context.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Context } from '../../src/context.js';
import { MAX_INPUT_BYTES, readBoundedFile } from '../../src/fs/read-file.js';
import { loadKubeconfig } from '../../src/clients/kubeconfig.js';
import { loadTlsFiles } from '../../src/clients/tls.js';
import { readRunSummary } from '../../src/gameday/stored.js';
import { loadRunDir } from '../../src/report/load.js';
import { outDirProblem } from '../../src/report/out-dir.js';
import { ExpressionError, MAX_EXPRESSION_DEPTH, parseExpression } from '../../src/slo/parse.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const INVENTORY = path.join(ROOT, 'test/fixtures/config/valid-inventory.yaml');
const STACK = /\n\s+at |internal error/;

const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fifo(name: string): string {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  return file;
}

function zeroLink(name: string): string {
  const file = path.join(dir, name);
  symlinkSync('/dev/zero', file);
  return file;
}

async function run(argv: string[], opts: { cwd?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const ctx: Context = {
    stdout: { write: (s) => void (stdout += s), isTTY: false },
    stderr: { write: (s) => void (stderr += s), isTTY: false },
    env: { HOME: '/nonexistent-home', KHA_STATE_DIR: path.join(dir, 'state') },
    cwd: opts.cwd ?? dir,
    onSignal: () => () => undefined,
  };
  const code = await main(argv, ctx);
  return { code, stdout, stderr };
}

describe('special files: refused before they are read, by one function', () => {
  it('readBoundedFile refuses a FIFO without blocking, a device, and a file past the bound', () => {
    const f = readBoundedFile(fifo('plain.fifo'));
    expect(f).toMatchObject({ ok: false, reason: 'special' });
    expect(!f.ok && f.message).toBe('is a FIFO, not a regular file (expected a regular file)');
    const z = readBoundedFile(zeroLink('zero.bin'), { what: 'a private key' });
    expect(!z.ok && z.message).toBe('is a character device, not a regular file (expected a private key)');
    const big = path.join(dir, 'big.txt');
    writeFileSync(big, 'x'.repeat(MAX_INPUT_BYTES + 1));
    expect(readBoundedFile(big)).toMatchObject({ ok: false, reason: 'too-large' });
    expect(readBoundedFile(big, { maxBytes: MAX_INPUT_BYTES + 1 })).toMatchObject({ ok: true });
  });

  it.each([
    ['run --dry-run', ['run', '--dry-run']],
    ['run', ['run']],
    ['plan', ['plan']],
    ['validate', ['validate']],
  ])('%s of a drill that is a FIFO: exit 2 at once, one line', async (_, argv) => {
    const file = fifo(`fifo-${argv.join('-')}.yaml`);
    const r = await run([...argv, ...(argv[0] === 'validate' ? [] : ['-i', INVENTORY]), file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a FIFO, not a regular file (expected a YAML file)');
    expect(r.stderr).not.toMatch(STACK);
  });

  it.each([['run --dry-run'], ['run']])(
    '%s of a drill that is a symlink to /dev/zero: exit 2, nothing read',
    async (how) => {
      const file = zeroLink(`zero-${how.replace(/\W/g, '')}.yaml`);
      const r = await run([...how.split(' '), '-i', INVENTORY, file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is a character device, not a regular file (expected a YAML file)');
    },
  );

  it('an inventory that is a FIFO: exit 2', async () => {
    const r = await run(['run', '--dry-run', '-i', fifo('inv.yaml'), 'scheduler-failover']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a FIFO, not a regular file');
  });

  it('a suite (run <suite.yaml> --iterations) that is a FIFO: exit 2', async () => {
    const r = await run(['run', '--iterations', '2', '-i', INVENTORY, fifo('suite.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a FIFO, not a regular file');
  });

  it('kubeconfig, its certificate and token files, and etcd TLS files: refused, not read', () => {
    expect(() => loadKubeconfig({ file: fifo('kubeconfig') })).toThrow(/is a FIFO, not a regular file/);
    const kc = path.join(dir, 'kc.yaml');
    writeFileSync(
      kc,
      [
        'apiVersion: v1',
        'current-context: c',
        'contexts: [{name: c, context: {cluster: k, user: u}}]',
        `clusters: [{name: k, cluster: {server: 'https://127.0.0.1:6443', certificate-authority: ${zeroLink('ca.crt')}}}]`,
        'users: [{name: u, user: {}}]',
      ].join('\n'),
    );
    expect(() => loadKubeconfig({ file: kc })).toThrow(/is a character device/);
    expect(() => loadTlsFiles({ key: zeroLink('etcd.key') })).toThrow(/is a character device/);
  });

  it('a baseline or stored run whose report.json is a FIFO: exit 2 message, no hang', async () => {
    const runDir = path.join(dir, 'stored-run');
    mkdirSync(runDir);
    execFileSync('mkfifo', [path.join(runDir, 'report.json')]);
    expect(() => readRunSummary(runDir)).toThrow(/is a FIFO, not a regular file/);
    await expect(loadRunDir(runDir)).rejects.toThrow(/is a FIFO, not a regular file/);
    const r = await run(['report', runDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(STACK);
  });
});

/** The shipped scheduler-failover drill with its SLO list replaced. */
function drillWithSlo(name: string, slo: string): string {
  const text = readFileSync(path.join(ROOT, 'drills/scheduler-failover.yaml'), 'utf8');
  const file = path.join(dir, name);
  writeFileSync(file, text.replace(/\nslo:\n(?:\s+#.*\n)?(?:\s+- .*\n)+/, `\nslo:\n  - '${slo}'\n`));
  return file;
}

describe('deep nesting in expressions: exit 2 with the position, never a RangeError', () => {
  const deep = `lease.takeover_s < ${'('.repeat(10_000)}1${')'.repeat(10_000)}`;

  it('the parser bounds the depth and says so, with the offset', () => {
    expect(() => parseExpression(deep)).toThrow(ExpressionError);
    expect(() => parseExpression(deep)).toThrow(/nested too deeply \(expected at most 32 levels/);
    const minus = `lease.takeover_s < ${'-'.repeat(100)}1`;
    expect(() => parseExpression(minus)).toThrow(/nested too deeply/);
    const long = `lease.takeover_s < ${Array(5_000).fill('1').join(' + ')}`;
    expect(() => parseExpression(long)).toThrow(/expected at most 1000\)/);
    // the bound itself parses
    const ok = `lease.takeover_s < ${'('.repeat(MAX_EXPRESSION_DEPTH)}1${')'.repeat(MAX_EXPRESSION_DEPTH)}`;
    expect(parseExpression(ok).op).toBe('<');
  });

  it.each([['validate'], ['plan'], ['run'], ['run --dry-run']])('%s: exit 2, file:line:col', async (how) => {
    const file = drillWithSlo(`deep-${how.replace(/\W/g, '')}.yaml`, deep);
    const argv =
      how === 'validate' ? ['validate', '-i', INVENTORY, file] : [...how.split(' '), '-i', INVENTORY, file];
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).toMatch(/deep-\w+\.yaml:\d+:\d+ slo\[0\]: nested too deeply/);
  });
});

describe('durations past the longest one: exit 2 with the position', () => {
  const drill = (name: string, body: string): string => {
    const file = path.join(dir, name);
    writeFileSync(
      file,
      `apiVersion: kha-drill/v1\nkind: Drill\nmetadata: { name: long, description: long waits }\n${body}`,
    );
    return file;
  };

  it.each([['validate'], ['run'], ['run --dry-run'], ['plan']])(
    '%s refuses wait/timeout beyond 1440m',
    async (how) => {
      const file = drill(
        `long-${how.replace(/\W/g, '')}.yaml`,
        [
          'inject:',
          '  - { action: wait, duration: 2147484s }',
          '  - { action: wait, duration: 99999999999m, timeout: 3000000s }',
          'observe: { timeout: 3000000s }',
          '',
        ].join('\n'),
      );
      const r = await run([...how.split(' '), '-i', INVENTORY, file]);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(STACK);
      for (const [where, what] of [
        ['5:31 inject[0].duration', '2147484s'],
        ['6:31 inject[1].duration', '99999999999m'],
        ['6:54 inject[1].timeout', '3000000s'],
        ['7:21 observe.timeout', '3000000s'],
      ])
        expect(r.stderr).toContain(
          `:${where}: duration '${what}' is too long (expected at most 1440m (one day))`,
        );
    },
  );

  it('one day exactly is accepted', async () => {
    const file = drill(
      'day.yaml',
      'inject: [{ action: wait, duration: 1440m }]\nobserve: { timeout: 86400s }\n',
    );
    const r = await run(['validate', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    ['--cooldown', ['run', '--cooldown', '99999999999m']],
    ['--steady-timeout', ['run', '--iterations', '2', '--steady-timeout', '3000000s']],
    ['--lock-ttl', ['run', '--lock', '--lock-ttl', '2147484s']],
    ['--timeout', ['status', '--timeout', '2147484s']],
  ])('%s beyond 1440m: exit 2, the flag named', async (flag, argv) => {
    const r = await run([...argv, '-i', INVENTORY, ...(argv[0] === 'run' ? ['scheduler-failover'] : [])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^kha-drill: bad ${flag} '\\d+[sm]' \\(expected at most 1440m \\(one day\\)\\)`),
    );
  });
});

describe('an unusable --out: one line, exit 2, before anything runs', () => {
  const file = path.join(dir, 'out-is-a-file');
  writeFileSync(file, 'not a folder\n');

  it.each([
    ['run', ['run', '--out', file, '-i', INVENTORY, 'scheduler-failover'], 'is a file, not a folder'],
    [
      'run (game-day)',
      ['run', '--iterations', '2', '--out', file, '-i', INVENTORY, 'scheduler-failover'],
      'is a file, not a folder',
    ],
    [
      'run, a file in the path',
      ['run', '--out', `${file}/sub`, '-i', INVENTORY, 'scheduler-failover'],
      'its parent is a file, not a folder',
    ],
    [
      'report',
      ['report', path.join(ROOT, 'test/fixtures/reports/scheduler-failover'), '--out', file],
      'is a file, not a folder',
    ],
  ])('%s', async (_, argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^kha-drill: --out \\S+: ${message}\\nhint: give --out a folder you can write to`),
    );
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a read-only file system or a folder without write permission is named as such', () => {
    const fs = (code: string) => ({
      statSync: () => ({ isDirectory: () => true }),
      accessSync: () => {
        throw Object.assign(new Error(code), { code });
      },
    });
    expect(outDirProblem('/ro/reports', fs('EROFS'))).toBe('is on a read-only file system');
    expect(outDirProblem('/ro/reports', fs('EACCES'))).toBe('is not writable (permission denied)');
    expect(outDirProblem(path.join(dir, 'not-yet', 'reports'))).toBeNull();
  });
});
