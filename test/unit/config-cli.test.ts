/**
 * validate, list and schema run in-process through the real CLI entry with a fake Context:
 * exit codes, output lines, and never a stack trace for bad input.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Context } from '../../src/context.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURES = 'test/fixtures/config';

async function run(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  let stdout = '';
  let stderr = '';
  const ctx: Context = {
    stdout: { write: (s) => void (stdout += s), isTTY: false },
    stderr: { write: (s) => void (stderr += s), isTTY: false },
    env: { HOME: '/nonexistent-home', ...opts.env },
    cwd: opts.cwd ?? ROOT,
    onSignal: () => () => undefined,
  };
  const code = await main(argv, ctx);
  return { code, stdout, stderr };
}

const STACK = /\n\s+at |internal error/;

describe('kha-drill validate', () => {
  it('passes the shipped drill and example inventory (exit 0)', async () => {
    const r = await run(['validate', 'drills/scheduler-failover.yaml', 'inventory.example.yaml']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'ok drills/scheduler-failover.yaml (Drill scheduler-failover)\nok inventory.example.yaml (Inventory prod-eu-1)\n',
    );
    expect(r.code).toBe(0);
  });

  const failing = [
    'unknown-key',
    'wrong-type',
    'bad-enum',
    'bad-target',
    'unknown-action',
    'unknown-metric',
    'bad-slo-syntax',
    'unknown-master',
    'duplicate-key',
    'tab-indent',
    'syntax-error',
    'alias-bomb',
    'empty',
    'top-level-list',
  ];
  it.each(failing)('%s: exit 2, file:line:col, no stack trace', async (fixture) => {
    const file = `${FIXTURES}/${fixture}.yaml`;
    const r = await run(['validate', '-i', `${FIXTURES}/valid-inventory.yaml`, file]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(STACK);
    const where =
      fixture === 'empty' ? `${file}: ` : new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+:\\d+[ :]`, 'm');
    expect(r.stderr).toMatch(where);
    expect(r.stderr).toMatch(/\d+ problems? in 1 of 2 files\n$/);
  });

  it('reports every file: missing, directory, binary, too big, in one run', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-validate-'));
    try {
      mkdirSync(path.join(dir, 'dir.yaml'));
      writeFileSync(path.join(dir, 'bin.yaml'), Buffer.from([0x61, 0x00, 0x62]));
      writeFileSync(path.join(dir, 'big.yaml'), 'a'.repeat(1024 * 1024 + 1));
      const r = await run(['validate', 'missing.yaml', 'dir.yaml', 'bin.yaml', 'big.yaml'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).toBe(
        [
          'missing.yaml: no such file (expected a YAML file)',
          'dir.yaml: is a directory (expected a YAML file)',
          'bin.yaml:1:2: binary file: contains a NUL byte (expected YAML text)',
          'big.yaml: file is 1.0 MiB (expected at most 1 MiB)',
          '4 problems in 4 of 4 files',
          '',
        ].join('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks master:<name> against the inventory among the files when -i is not given', async () => {
    const r = await run(['validate', `${FIXTURES}/unknown-master.yaml`, `${FIXTURES}/valid-inventory.yaml`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown-master.yaml:11:20 inject[0].target: no master named 'master-4'");
    expect(r.stdout).toBe(`ok ${FIXTURES}/valid-inventory.yaml (Inventory test)\n`);
  });

  it('defaults to ./drills/*.yaml and ./inventory.yaml', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-validate-'));
    try {
      mkdirSync(path.join(dir, 'drills'));
      copyFileSync(path.join(ROOT, 'drills/scheduler-failover.yaml'), path.join(dir, 'drills/a.yaml'));
      copyFileSync(path.join(ROOT, 'inventory.example.yaml'), path.join(dir, 'inventory.yaml'));
      const r = await run(['validate'], { cwd: dir });
      expect(r.stdout).toBe(
        'ok drills/a.yaml (Drill scheduler-failover)\nok inventory.yaml (Inventory prod-eu-1)\n',
      );
      expect(r.code).toBe(0);
      const empty = await run(['validate'], { cwd: path.join(dir, 'drills') });
      expect(empty.code).toBe(2);
      expect(empty.stderr).toMatch(/^kha-drill: nothing to validate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kha-drill list', () => {
  it('shows the built-in drills as a table and as JSON', async () => {
    const table = await run(['list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+TAGS\s+DESCRIPTION$/);
    expect(table.stdout).toMatch(/^scheduler-failover\s+lease,kube-scheduler,graceful\s+Gracefully stop/m);
    const json = await run(['list', '--json']);
    const entries = JSON.parse(json.stdout) as Array<{ name: string; source: string; valid: boolean }>;
    expect(entries).toContainEqual(
      expect.objectContaining({ name: 'scheduler-failover', source: 'built-in', valid: true }),
    );
  });
});

describe('kha-drill schema', () => {
  it('prints one schema, or both, and writes them with --out', async () => {
    const one = await run(['schema', 'drill']);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ title: 'kha-drill Drill', type: 'object' });
    const both = JSON.parse((await run(['schema'])).stdout) as Record<string, unknown>;
    expect(Object.keys(both)).toEqual(['inventory', 'drill', 'suite']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-schema-'));
    try {
      const r = await run(['schema', '--out', 'out'], { cwd: dir });
      expect(r.stdout).toBe(
        'wrote out/inventory.schema.json\nwrote out/drill.schema.json\nwrote out/suite.schema.json\n',
      );
      expect(readFileSync(path.join(dir, 'out/drill.schema.json'), 'utf8')).toBe(one.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown format with exit 2', async () => {
    const r = await run(['schema', 'drils']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(STACK);
  });
});
