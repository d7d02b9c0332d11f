/** kind: Suite through the config loader: file:line:col problems, did-you-mean, drill references. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigFile, checkConfigText, loadSuiteFile } from './load.js';
import { formatProblem } from '../errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kha-suite-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const check = (text: string) =>
  checkConfigText(text, 'suite.yaml', { cwd: tmp, absPath: path.join(tmp, 'suite.yaml') }).problems.map((p) =>
    formatProblem(p),
  );

const head = `apiVersion: kha-drill/v1
kind: Suite
metadata:
  name: gd
  description: a game-day
`;

describe('kind: Suite', () => {
  it('loads the shipped example, with defaults', () => {
    const suite = loadSuiteFile(path.join(ROOT, 'game-days/quarterly.yaml'), { cwd: ROOT });
    expect(suite.metadata.name).toBe('quarterly');
    expect(suite.drills.map((d) => d.drill)).toContain('scheduler-failover');
    expect(suite.stopOnFail).toBe(false);
    const minimal = checkConfigText(`${head}drills:\n  - drill: scheduler-failover\n`, 'm.yaml', {
      cwd: tmp,
    });
    expect(minimal.config).toMatchObject({
      kind: 'Suite',
      data: {
        cooldown: '30s',
        stopOnFail: false,
        drills: [{ drill: 'scheduler-failover', iterations: 1, slo: [] }],
      },
    });
  });

  it('points at each problem with file:line:col and a did-you-mean', () => {
    const problems = check(`${head}drills:
  - drill: scheduler-failovr
    iterations: 0
  - drill: etcd-leader-kill
    slo:
      - p(95)(raft.reelection) < 3
      - p(95)(lease.takeover_s) <
    colldown: 5s
cooldown: soon
`);
    expect(problems).toEqual([
      "suite.yaml:7:12 drills[0].drill: unknown drill 'scheduler-failovr' (did you mean 'scheduler-failover'?)",
      'suite.yaml:8:17 drills[0].iterations: got the number 0 (expected at least 1)',
      "suite.yaml:11:15 drills[1].slo[0]: unknown metric 'raft.reelection' (did you mean 'raft.reelection_s'?)",
      expect.stringMatching(/^suite\.yaml:12:34 drills\[1\]\.slo\[1\]: unexpected end of expression/),
      "suite.yaml:13:5 drills[1].colldown: unknown key 'colldown' (did you mean 'cooldown'?)",
      expect.stringMatching(/^suite\.yaml:14:11 cooldown: .*duration/),
    ]);
  });

  it('checks that an SLO’s metric is measured by the drill’s watchers', () => {
    // scheduler-failover runs no etcdWrite watcher
    expect(
      check(`${head}drills:\n  - drill: scheduler-failover\n    slo: ["p(95)(etcd.write_outage_s) < 3"]\n`),
    ).toEqual([
      'suite.yaml:8:18 drills[0].slo[0]: etcd.write_outage_s needs the etcdWrite watcher, which drill scheduler-failover does not run',
    ]);
  });

  it('resolves drill paths relative to the suite file, and reports a broken drill', () => {
    writeFileSync(
      path.join(tmp, 'mine.yaml'),
      'apiVersion: kha-drill/v1\nkind: Drill\nmetadata: {name: mine}\n',
    );
    const problems = check(`${head}drills:\n  - drill: ./mine.yaml\n  - drill: ./missing.yaml\n`);
    expect(problems[0]).toMatch(
      /^suite\.yaml:7:12 drills\[0\]\.drill: drill '\.\/mine\.yaml' does not validate \(\d+ problems?, first at .*mine\.yaml:\d+:\d+/,
    );
    expect(problems[1]).toMatch(/^suite\.yaml:8:12 drills\[1\]\.drill: no drill file .*missing\.yaml/);
  });

  it('refuses a suite where a drill is expected and says what it is', () => {
    const file = path.join(tmp, 's.yaml');
    writeFileSync(file, `${head}drills:\n  - drill: scheduler-failover\n`);
    expect(checkConfigFile(file, { expect: 'Drill' }).problems[0]!.message).toBe(
      'this file is a Suite (expected a Drill here)',
    );
  });
});
