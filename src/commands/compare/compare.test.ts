/** `kha-drill compare` in-process on the stored report fixtures and doctored copies of them. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli.js';
import type { Context } from '../../context.js';
import type { RunResult } from '../../report/result.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/reports/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kha-compare-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const ctx: Context = {
    stdout: { write: (s) => void (stdout += s), isTTY: false },
    stderr: { write: (s) => void (stderr += s), isTTY: false },
    env: {},
    cwd: tmp,
    onSignal: () => () => {},
  };
  const code = await main(args, ctx);
  return { code, stdout, stderr };
}

/** A copy of a stored run with every measured value (of `units`) multiplied by `factor`. */
function scaled(name: string, factor: number, units = ['s', 'ratio', 'count']): string {
  const dir = path.join(tmp, `${name}-x${factor}-${units.join('')}`);
  cpSync(path.join(fixtures, name), dir, { recursive: true });
  const file = path.join(dir, 'report.json');
  const r = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  for (const m of r.metrics) if (m.value !== null && units.includes(m.unit)) m.value *= factor;
  writeFileSync(file, JSON.stringify(r));
  return dir;
}

describe('kha-drill compare', () => {
  const run = path.join(fixtures, 'etcd-leader-kill');

  it('finds nothing against itself', async () => {
    const r = await cli(['compare', run, run, '--fail-on-regression']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(
      /^etcd-leader-kill\s+raft\.reelection_s\s+value\s+1\.12 s\s+1\.12 s\s+±0\.00 s \(±0%\)\s+ok$/m,
    );
    expect(r.stdout).toMatch(/no regression beyond the tolerance\n$/);
  });

  it('flags a doctored baseline with every metric halved, and exits 1 only with --fail-on-regression', async () => {
    const halved = scaled('etcd-leader-kill', 0.5);
    const soft = await cli(['compare', halved, run]);
    expect(soft.code).toBe(0);
    expect(soft.stdout).toMatch(
      /^etcd-leader-kill\s+raft\.elections\s+value\s+0\.5\s+1\s+\+0\.5 \(\+100%\)\s+REGRESSION$/m,
    );
    // 1.37 s vs 0.685 s: +100 % and more than 0.5 s
    expect(soft.stdout).toMatch(/^etcd-leader-kill\s+etcd\.write_outage_s\s+value\s+.*REGRESSION$/m);
    // 1.12 s vs 0.56 s: +100 % but only 0.56 s: still beyond 0.5 s
    expect(soft.stdout).toMatch(/^etcd-leader-kill\s+raft\.reelection_s\s+value\s+.*REGRESSION$/m);
    // availability 0.94 is higher than a halved baseline: better, not worse
    expect(soft.stdout).toMatch(/^etcd-leader-kill\s+apiserver\.availability\s+value\s+.*improved$/m);
    const hard = await cli(['compare', halved, run, '--fail-on-regression']);
    expect(hard.code).toBe(1);
  });

  it('honours --tolerance and prints JSON', async () => {
    const slower = scaled('etcd-leader-kill', 1.3, ['s']);
    const lenient = await cli(['compare', run, slower, '--tolerance', '50%', '--json']);
    const cmp = JSON.parse(lenient.stdout) as { regressions: number; tolerance: unknown };
    expect(cmp.tolerance).toEqual({ pct: 0.5, absS: 0.5 });
    expect(cmp.regressions).toBe(0);
    const strict = await cli(['compare', run, slower, '--tolerance', '10%,0s', '--json']);
    expect((JSON.parse(strict.stdout) as { regressions: number }).regressions).toBeGreaterThan(0);
  });

  it('is a usage error (exit 2) for a directory without a report or a bad tolerance', async () => {
    const missing = await cli(['compare', tmp, run]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/neither suite\.json nor report\.json found/);
    const bad = await cli(['compare', run, run, '--tolerance', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad --tolerance 'lots'/);
  });
});
