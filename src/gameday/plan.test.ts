import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { drillsToPlan, isGameDay } from '../commands/run/suite.js';
import { isSuiteFile, planGameDay } from './plan.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kha-plan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const suiteFile = path.join(tmp, 'gd.yaml');
writeFileSync(
  suiteFile,
  `apiVersion: kha-drill/v1
kind: Suite
metadata: { name: gd, description: two drills }
cooldown: 10s
stopOnFail: true
drills:
  - drill: scheduler-failover
    iterations: 5
    slo: ['p(95)(lease.takeover_s) < 5']
  - drill: etcd-leader-kill
    iterations: 2
    cooldown: 1m
`,
);

describe('planGameDay', () => {
  it('reads a suite file: iterations, cooldowns and stopOnFail per drill', () => {
    const plan = planGameDay(['gd.yaml'], tmp, {});
    expect(plan).toMatchObject({ name: 'gd', file: suiteFile, cooldownS: 10, stopOnFail: true });
    expect(plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.drills.map((d) => [d.ref, d.iterations, d.cooldownS, d.suiteSlo])).toEqual([
      ['scheduler-failover', 5, 10, ['p(95)(lease.takeover_s) < 5']],
      ['etcd-leader-kill', 2, 60, []],
    ]);
    expect(plan.drills[0]!.file).toMatch(/drills\/scheduler-failover\.yaml$/);
  });

  it('lets command-line flags override the suite file', () => {
    const plan = planGameDay(['gd.yaml'], tmp, { iterations: '1', cooldown: '0s', stopOnFail: false });
    expect(plan.stopOnFail).toBe(false);
    expect(plan.drills.map((d) => [d.iterations, d.cooldownS])).toEqual([
      [1, 0],
      [1, 0],
    ]);
  });

  it('plans drills named on the command line with --iterations (default 1) and --cooldown (default 30 s)', () => {
    const plan = planGameDay(['scheduler-failover', 'etcd-leader-kill'], tmp, { iterations: '3' });
    expect(plan).toMatchObject({ name: 'scheduler-failover+etcd-leader-kill', file: null, cooldownS: 30 });
    expect(plan.drills.map((d) => d.iterations)).toEqual([3, 3]);
    expect(planGameDay(['scheduler-failover'], tmp, {}).name).toBe('scheduler-failover');
  });

  it.each([
    [['gd.yaml', 'scheduler-failover'], {}, /a suite file runs alone/],
    [['scheduler-failover'], { iterations: '0' }, /bad --iterations '0'/],
    [['scheduler-failover'], { iterations: '2.5' }, /bad --iterations/],
    [['scheduler-failover'], { cooldown: 'soon' }, /bad --cooldown 'soon'/],
    [['sheduler-failover'], {}, /unknown drill 'sheduler-failover' \(did you mean 'scheduler-failover'\?\)/],
  ])('refuses %j %j (exit 2)', (args, flags, message) => {
    expect(() => planGameDay(args, tmp, flags)).toThrow(message);
  });
});

describe('what makes a run a game-day', () => {
  it('is a suite file, --iterations, --cooldown, --stop-on-fail, --baseline or --fail-on-regression', () => {
    expect(isSuiteFile('gd.yaml', tmp)).toBe(true);
    expect(isSuiteFile('scheduler-failover', tmp)).toBe(false);
    const ctx = { cwd: tmp };
    expect(isGameDay(ctx, ['scheduler-failover'], {})).toBe(false);
    expect(isGameDay(ctx, ['scheduler-failover'], { lock: true })).toBe(false);
    expect(isGameDay(ctx, ['gd.yaml'], {})).toBe(true);
    expect(isGameDay(ctx, ['scheduler-failover'], { iterations: '1' })).toBe(true);
    expect(isGameDay(ctx, ['scheduler-failover'], { baseline: 'reports/x' })).toBe(true);
  });

  it('plans each drill of a suite once for --dry-run', () => {
    expect(drillsToPlan({ cwd: tmp }, ['gd.yaml']).map((f) => path.basename(f))).toEqual([
      'scheduler-failover.yaml',
      'etcd-leader-kill.yaml',
    ]);
    expect(drillsToPlan({ cwd: tmp }, ['a', 'b'])).toEqual(['a', 'b']);
  });
});
