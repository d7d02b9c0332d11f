/**
 * Game-days on the lab (issue 10): a suite of two drills × 3 iterations with statistics and the
 * suite report, held under --lock while a second --lock run is refused; a second real run
 * compared with a doctored baseline (every metric halved: flagged, exit 1 with
 * --fail-on-regression); `compare` on stored runs. Needs root and the built CLI (`npm run build`).
 *
 * Lease timings 12s/10s/1s rather than the fast 4s/3s/1s: killing the etcd leader on the lab
 * can take the API away for longer than a 3 s renewDeadline, and a leader that cannot renew in
 * time exits (as the real components do), which fails the run's restore check and stops the
 * suite. The graceful scheduler failover is as fast either way (about one retry period).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuiteResult } from '../../src/report/suite/result.js';
import { childrenNamed, parseXml } from '../unit/report-xml.js';
import { kha, labSsh, startLab, stopLab, waitHealthy, type Lab } from './lab.js';

let lab: Lab;
let work: string;
let lockFile: string;
let suiteDir: string;

const env = () => ({ KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' });
const readSuite = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'suite.json'), 'utf8')) as SuiteResult;
/** The one run directory a command wrote under `out`. */
function onlyDir(out: string): string {
  const dirs = readdirSync(out);
  expect(dirs).toHaveLength(1);
  return path.join(out, dirs[0]!);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'kha-gameday-'));
  lab = await startLab({ leaseDuration: '12s', renewDeadline: '10s', retryPeriod: '1s' });
  lockFile = path.join(lab.dir, 'kha-drill.lock');
});
afterAll(async () => {
  await stopLab();
});

describe('game-days on the lab', () => {
  it('runs a suite of two drills × 3 iterations under --lock: statistics, suite report, worst exit code; a second --lock run is refused', async () => {
    const suiteFile = path.join(work, 'lab-game-day.yaml');
    writeFileSync(
      suiteFile,
      `apiVersion: kha-drill/v1
kind: Suite
metadata:
  name: lab-game-day
  description: the two fast drills, three times each
cooldown: 0s
drills:
  - drill: scheduler-failover
    iterations: 3
    slo:
      - p(95)(lease.takeover_s) < 2.2 * retryPeriod + 1
      - max(lease.split_brain) == 0
  - drill: etcd-leader-kill
    iterations: 3
    slo:
      - p(50)(raft.reelection_s) < 3
`,
    );
    const out = path.join(work, 'suite');
    const suite = kha(
      ['run', suiteFile, '-i', lab.inventory, '--out', out, '--lock', '--lock-file', lockFile],
      env(),
      300_000,
    );

    // while it runs, the lock is on master-1 with its owner, and a second run is refused
    let lock = '';
    for (let i = 0; i < 60 && !lock; i++) {
      await new Promise((r) => setTimeout(r, 500));
      lock = labSsh(lab, 'master-1', `cat ${lockFile} 2>/dev/null`).stdout;
    }
    const holder = JSON.parse(lock) as { owner: string; pid: number; runId: string; expires: string };
    expect(holder.runId).toMatch(/^\d{8}T\d{6}Z-lab-game-day$/);
    expect(holder.owner).toMatch(/@/);
    const out2 = path.join(work, 'refused');
    const second = await kha(
      ['run', 'scheduler-failover', '-i', lab.inventory, '--out', out2, '--lock', '--lock-file', lockFile],
      env(),
    );
    expect(second.code, second.stderr).toBe(3);
    expect(second.stderr).toContain(
      `cluster is locked: master-1:${lockFile} is held by ${holder.owner} (pid ${holder.pid}, run ${holder.runId})`,
    );
    expect(existsSync(out2)).toBe(false); // nothing run, nothing written

    const done = await suite;
    suiteDir = onlyDir(out);
    const r = readSuite(suiteDir);
    // the lock is gone once the suite ended
    expect(labSsh(lab, 'master-1', `test -e ${lockFile}`).status).toBe(1);

    expect(
      r.drills.map((d) => [d.name, d.iterations.length]),
      done.stderr,
    ).toEqual([
      ['scheduler-failover', 3],
      ['etcd-leader-kill', 3],
    ]);
    expect(readdirSync(suiteDir).sort()).toEqual([
      'etcd-leader-kill-01',
      'etcd-leader-kill-02',
      'etcd-leader-kill-03',
      'junit.xml',
      'report.html',
      'scheduler-failover-01',
      'scheduler-failover-02',
      'scheduler-failover-03',
      'suite.json',
      'summary.md',
    ]);
    for (const d of r.drills)
      for (const it of d.iterations)
        expect(existsSync(path.join(suiteDir, it.dir, 'report.json'))).toBe(true);

    // statistics over the iterations; unknowns counted apart
    const [sched, etcd] = r.drills as [SuiteResult['drills'][number], SuiteResult['drills'][number]];
    const takeover = sched.stats.find((s) => s.metric === 'lease.takeover_s')!;
    expect(takeover).toMatchObject({ unit: 's', count: 3, unknown: 0 });
    expect(takeover.min!).toBeLessThanOrEqual(takeover.p50!);
    expect(takeover.p50!).toBeLessThanOrEqual(takeover.p95!);
    expect(takeover.p95).toBe(takeover.max); // nearest rank over 3 values
    expect(takeover.values).toEqual(
      sched.iterations.map((it) => it.metrics.find((m) => m.name === 'lease.takeover_s')?.value ?? null),
    );
    const reelection = etcd.stats.find((s) => s.metric === 'raft.reelection_s')!;
    expect(reelection.count + reelection.unknown).toBe(3);
    expect(reelection.count).toBeGreaterThan(0);
    expect(sched.aggregateVerdicts.map((v) => v.slo)).toEqual([
      'p(95)(lease.takeover_s) < 2.2 * retryPeriod + 1',
      'max(lease.split_brain) == 0',
    ]);
    expect(sched.aggregateVerdicts[1]!.status).toBe('pass');

    // exit code: the worst of the iterations and aggregates, no restore failed
    const worst = Math.max(
      ...r.drills.flatMap((d) => d.iterations.map((it) => it.exitCode)),
      ...r.drills.flatMap((d) => d.aggregateVerdicts.map((v) => (v.status === 'pass' ? 0 : 1))),
    );
    expect(r.exitCode).toBe(worst);
    expect(done.code, done.stderr).toBe(r.exitCode);
    expect([0, 1]).toContain(r.exitCode);
    expect(done.stdout).toMatch(/^game-day lab-game-day: (PASS|FAIL) \(exit [01]\)/m);
    expect(done.stdout).toMatch(
      /^ {4}lease\.takeover_s: p50 -?[\d.]+ s, p95 -?[\d.]+ s, max -?[\d.]+ s \(n=3\)$/m,
    );

    // junit: a testsuite per drill, a testcase per SLO per iteration and per aggregate
    const junit = parseXml(readFileSync(path.join(suiteDir, 'junit.xml'), 'utf8'));
    const suites = childrenNamed(junit, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['scheduler-failover', 'etcd-leader-kill']);
    const names = childrenNamed(suites[0]!, 'testcase').map((c) => c.attrs.name);
    for (const i of [1, 2, 3]) expect(names).toContain(`#${i} lease.takeover_s < 2.2 * retryPeriod + 1`);
    expect(names).toContain('p(95)(lease.takeover_s) < 2.2 * retryPeriod + 1 over 3 iterations');
    expect(readFileSync(path.join(suiteDir, 'summary.md'), 'utf8')).toMatch(
      /^\| `lease\.takeover_s` \| 3 \| 0 \| /m,
    );
    const html = readFileSync(path.join(suiteDir, 'report.html'), 'utf8');
    expect(html).toMatch(/aria-label="lease\.takeover_s: 3 values from/);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
  }, 330_000);

  it('flags a doctored baseline (every metric halved) in a real run and fails it with --fail-on-regression; compare works on stored runs', async () => {
    // the first suite with every statistic halved
    const doctored = path.join(work, 'doctored');
    cpSync(suiteDir, doctored, { recursive: true });
    const original = readSuite(suiteDir);
    const half = (v: number | null) => (v === null ? null : v / 2);
    for (const d of original.drills)
      for (const s of d.stats)
        Object.assign(s, { min: half(s.min), p50: half(s.p50), p95: half(s.p95), max: half(s.max) });
    writeFileSync(path.join(doctored, 'suite.json'), JSON.stringify(original, null, 2));

    // the suite ended with etcd-leader-kill: start from a healthy cluster, as an SRE would
    const healthy = await waitHealthy(lab, env());
    expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);
    const out = path.join(work, 'second');
    const run = await kha(
      [
        'run',
        'scheduler-failover',
        '--iterations',
        '1',
        '--cooldown',
        '0s',
        '-i',
        lab.inventory,
        '--out',
        out,
        '--baseline',
        doctored,
        '--fail-on-regression',
      ],
      env(),
      180_000,
    );
    const second = onlyDir(out);
    const r = readSuite(second);
    expect(r.baseline?.baseline.dir).toBe(doctored);
    const transitions = r.baseline!.rows.filter(
      (row) => row.drill === 'scheduler-failover' && row.metric === 'lease.transitions',
    );
    expect(transitions.map((row) => [row.baseline, row.current, row.status])).toEqual([
      [0.5, 1, 'regression'],
      [0.5, 1, 'regression'],
    ]);
    expect(r.baseline!.regressions).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(1);
    expect(r.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /^scheduler-failover\s+lease\.transitions\s+p50\s+0\.5\s+1\s+\+0\.5 \(\+100%\)\s+REGRESSION$/m,
    );
    expect(run.stdout).toMatch(/^etcd-leader-kill: only in the baseline \(not run this time\)$/m);
    expect(readFileSync(path.join(second, 'summary.md'), 'utf8')).toContain('**REGRESSION**');
    const junit = parseXml(readFileSync(path.join(second, 'junit.xml'), 'utf8'));
    const baselineSuite = childrenNamed(junit, 'testsuite').find((s) => s.attrs.name === 'baseline')!;
    const tc = childrenNamed(baselineSuite, 'testcase').find(
      (c) => c.attrs.name === 'scheduler-failover lease.transitions p50',
    )!;
    expect(childrenNamed(tc, 'failure')).toHaveLength(1);

    // offline: two real runs (the suite and the second run), and the doctored one
    const real = await kha(['compare', suiteDir, second]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/^scheduler-failover\s+lease\.takeover_s\s+p50\s+-?[\d.]+ s\s+-?[\d.]+ s\s/m);
    const json = await kha(['compare', suiteDir, second, '--json']);
    const cmp = JSON.parse(json.stdout) as { regressions: number; rows: { status: string }[] };
    const strict = await kha(['compare', suiteDir, second, '--fail-on-regression']);
    expect(strict.code).toBe(cmp.regressions > 0 ? 1 : 0);
    const halved = await kha(['compare', doctored, second, '--fail-on-regression']);
    expect(halved.code).toBe(1);
    expect(halved.stdout).toMatch(/\d+ regressions? beyond the tolerance\n$/);
    // a single run directory (report.json) compares too: an iteration of the suite against the second run
    const single = await kha(['compare', path.join(suiteDir, 'scheduler-failover-01'), second]);
    expect(single.code, single.stderr).toBe(0);
    expect(single.stdout).toMatch(/^baseline: .*scheduler-failover-01 \(run scheduler-failover, /m);
  }, 240_000);
});
