import { spawnSync } from 'node:child_process';
/**
 * One fixture per failure mode (test/fixtures/config/<case>.yaml) with the exact problem lines
 * the loader reports, positions included. File-level cases that cannot be committed sensibly
 * (missing, directory, binary, over 1 MiB, unreadable) are made in a temporary directory.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigFile, checkConfigText, loadDrillFile, loadInventoryFile } from '../../src/config/load.js';
import { ValidationError, formatProblem } from '../../src/errors.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURES = 'test/fixtures/config';
const inventory = loadInventoryFile(`${FIXTURES}/valid-inventory.yaml`, { cwd: ROOT });

function problemsOf(file: string, withInventory = true): string[] {
  return checkConfigFile(file, { cwd: ROOT, ...(withInventory ? { inventory } : {}) }).problems.map(
    formatProblem,
  );
}

const cases: Array<[fixture: string, expected: string[]]> = [
  ['unknown-key', ["masters[0].hots: unknown key 'hots' (did you mean 'host'?)@7:5"]],
  [
    'wrong-type',
    [
      "masters[0].port: got 'twenty-two' (expected a number)@8:11",
      "ssh.strictHostKeyChecking: got 'no' (expected true or false)@13:26",
    ],
  ],
  ['bad-enum', ["services.manager: invalid value 'systemdd' (did you mean 'systemd'?)@14:12"]],
  [
    'bad-target',
    [
      "inject[0].target: invalid target 'lease-holder:kube-scheduler' (expected lease-holder:<namespace>/<name>, e.g. lease-holder:kube-system/kube-scheduler)@11:13",
    ],
  ],
  ['unknown-action', ["inject[0].action: unknown action 'stopServce' (did you mean 'stopService'?)@10:13"]],
  [
    'unknown-check',
    ["inject[0].condition.check: unknown check 'leaseHeldd' (did you mean 'leaseHeld'?)@12:14"],
  ],
  [
    'bad-service',
    ["inject[0].service: invalid value 'kube-schedular' (did you mean 'kube-scheduler'?)@12:14"],
  ],
  [
    'missing-key',
    [
      "inject[0].service: missing required key 'service' (expected one of: etcd, kube-apiserver, kube-scheduler, kube-controller-manager)@10:5",
    ],
  ],
  [
    'bad-duration',
    ["inject[0].duration: invalid value '5 sec' (expected a duration such as 500ms, 2s or 1m)@11:15"],
  ],
  // the column points at the metric name inside the string
  ['unknown-metric', ["slo[0]: unknown metric 'lease.takover_s' (did you mean 'lease.takeover_s'?)@16:5"]],
  // the column points at the second '*' inside the quoted string
  [
    'bad-slo-syntax',
    [
      "slo[0]: unexpected '*' (expected a number, a duration such as 2s, leaseDuration, renewDeadline, retryPeriod or '(')@16:29",
    ],
  ],
  [
    'metric-needs-watcher',
    ['slo[0]: raft.reelection_s needs the raft watcher (expected watchers.raft in this drill)@16:5'],
  ],
  [
    'unknown-master',
    [
      "inject[0].target: no master named 'master-4' in the inventory (expected one of: master-1, master-2)@11:20",
    ],
  ],
  ['unknown-step', ["restore[0].target: no inject step with id 'victm' (did you mean 'step:victim'?)@18:18"]],
  ['duplicate-key', ["duplicate key 'name' (each key may appear once in a mapping; first at line 4)@5:3"]],
  [
    'grpc-through-tunnel',
    [
      'etcd.transport: grpc does not go through SSH tunnels yet: use transport gateway with reach: ssh-tunnel, or reach etcd directly@14:14',
    ],
  ],
  ['tab-indent', ['tab used for indentation (expected spaces)@4:1']],
  ['syntax-error', ['YAML syntax error: missing closing "quote (expected valid YAML)@4:1']],
  ['alias-bomb', ['too many alias expansions, a YAML alias bomb? (expected at most 100)@4:8']],
  ['multi-doc', ['more than one YAML document (expected one document per file)@3:1']],
  ['empty', ['file is empty (expected a kha-drill document with apiVersion and kind)']],
  ['comment-only', ['file is empty (expected a kha-drill document with apiVersion and kind)']],
  ['top-level-list', ['top level is a list (expected a mapping with apiVersion and kind)@1:1']],
  ['unknown-kind', ["kind: unknown kind 'Dril' (did you mean 'Drill'?)@2:7"]],
];

/** `[path: ]message@line:col` → the formatted problem line of `file`. */
function expectedLine(file: string, spec: string): string {
  const m = /^(.*)@(\d+):(\d+)$/.exec(spec);
  if (!m) return `${file}: ${spec}`;
  const [, rest = '', line, col] = m;
  return /^[\w.[\]]+: /.test(rest) ? `${file}:${line}:${col} ${rest}` : `${file}:${line}:${col}: ${rest}`;
}

describe('config fixtures: one per failure mode, exact message and position', () => {
  it.each(cases)('%s', (fixture, expected) => {
    const file = `${FIXTURES}/${fixture}.yaml`;
    expect(problemsOf(file)).toEqual(expected.map((e) => expectedLine(file, e)));
  });

  it('the valid fixtures and the shipped files have no problems', () => {
    expect(problemsOf(`${FIXTURES}/valid-inventory.yaml`)).toEqual([]);
    expect(problemsOf('inventory.example.yaml')).toEqual([]);
    const example = loadInventoryFile('inventory.example.yaml', { cwd: ROOT });
    expect(
      checkConfigFile('drills/scheduler-failover.yaml', { cwd: ROOT, inventory: example }).problems,
    ).toEqual([]);
  });

  it('a master:<name> target is only checked when an inventory is given', () => {
    expect(problemsOf(`${FIXTURES}/unknown-master.yaml`, false)).toEqual([]);
  });
});

describe('file-level refusals', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('missing file', () => {
    expect(checkConfigFile(path.join(dir, 'nope.yaml')).problems.map((p) => p.message)).toEqual([
      'no such file (expected a YAML file)',
    ]);
  });

  it('directory', () => {
    mkdirSync(path.join(dir, 'sub.yaml'));
    expect(checkConfigFile('sub.yaml', { cwd: dir }).problems).toEqual([
      { file: 'sub.yaml', message: 'is a directory (expected a YAML file)' },
    ]);
  });

  it('binary file, pointing at the first NUL byte', () => {
    writeFileSync(path.join(dir, 'bin.yaml'), Buffer.from('kind: Drill\nab\0cd\n'));
    expect(checkConfigFile('bin.yaml', { cwd: dir }).problems.map(formatProblem)).toEqual([
      'bin.yaml:2:3: binary file: contains a NUL byte (expected YAML text)',
    ]);
  });

  it('not UTF-8', () => {
    writeFileSync(path.join(dir, 'latin1.yaml'), Buffer.from([0x6b, 0x3a, 0x20, 0xe9, 0x0a]));
    expect(checkConfigFile('latin1.yaml', { cwd: dir }).problems.map((p) => p.message)).toEqual([
      'not UTF-8 text (expected a UTF-8 YAML file)',
    ]);
  });

  it('file over 1 MiB, refused before it is read', () => {
    writeFileSync(path.join(dir, 'big.yaml'), `# ${'x'.repeat(1024 * 1024)}\n`);
    expect(checkConfigFile('big.yaml', { cwd: dir }).problems.map((p) => p.message)).toEqual([
      'file is 1.0 MiB (expected at most 1 MiB)',
    ]);
  });

  it('nesting deep enough to exhaust the stack', () => {
    writeFileSync(path.join(dir, 'deep.yaml'), `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    const [problem, ...rest] = checkConfigFile('deep.yaml', { cwd: dir }).problems;
    expect(rest).toEqual([]);
    expect(problem?.message).toBe('nested too deeply to read (expected ordinary nesting)');
  });

  it('unreadable file', () => {
    const f = path.join(dir, 'secret.yaml');
    writeFileSync(f, 'kind: Drill\n');
    chmodSync(f, 0o000);
    if (process.getuid?.() !== 0) {
      expect(checkConfigFile(f).problems.map((p) => p.message)).toEqual([
        'cannot be read: permission denied',
      ]);
      return;
    }
    // root reads anything: run the built CLI as nobody instead
    chmodSync(dir, 0o755);
    const cli = path.resolve(import.meta.dirname, '../../bin/kha-drill.js');
    const r = spawnSync(process.execPath, [cli, 'validate', f], { uid: 65534, gid: 65534, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).toContain(`${f}: cannot be read: permission denied`);
  });
});

describe('loader behaviour', () => {
  it('collects every problem of a file, in line order', () => {
    const text = [
      'apiVersion: kha-drill/v2',
      'kind: Drill',
      'metadata: {name: Bad_Name, descripton: x}',
      'inject:',
      '  - action: stopService',
      '    target: master:nope',
      '    service: kube-scheduler',
      'observe: {timeout: 1h}',
      'slo: ["lease.takeover_s < leaseDurration"]',
    ].join('\n');
    const lines = checkConfigText(text, 'd.yaml', { inventory }).problems.map(formatProblem);
    expect(lines).toEqual([
      "d.yaml:1:13 apiVersion: got 'kha-drill/v2' (expected 'kha-drill/v1')",
      // no "missing required key 'description'": the did-you-mean already says it
      "d.yaml:3:18 metadata.name: invalid value 'Bad_Name' (expected a lowercase name of letters, digits and dashes)",
      "d.yaml:3:28 metadata.descripton: unknown key 'descripton' (did you mean 'description'?)",
      "d.yaml:6:20 inject[0].target: no master named 'nope' in the inventory (expected one of: master-1, master-2)",
      "d.yaml:8:20 observe.timeout: invalid value '1h' (expected a duration such as 500ms, 2s or 1m)",
      "d.yaml:9:27 slo[0]: unknown identifier 'leaseDurration' (did you mean 'leaseDuration'?)",
    ]);
  });

  it('refuses the wrong kind where one is expected', () => {
    expect(() => loadInventoryFile('drills/scheduler-failover.yaml', { cwd: ROOT })).toThrow(
      /kind: this file is a Drill \(expected an Inventory here\)/,
    );
  });

  it('throws ValidationError (exit 2) with every problem', () => {
    try {
      loadDrillFile(`${FIXTURES}/unknown-step.yaml`, { cwd: ROOT });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).exitCode).toBe(2);
      expect((err as ValidationError).problems).toHaveLength(1);
    }
  });

  it('fills defaults, including nested ones of an absent ssh section', () => {
    expect(inventory.ssh).toMatchObject({ user: 'root', port: 22, strictHostKeyChecking: true, agent: true });
    expect(inventory.kubernetes.leaderElection).toEqual({
      leaseDuration: '15s',
      renewDeadline: '10s',
      retryPeriod: '2s',
    });
  });

  it('refers step:<id> only to earlier inject steps and flags duplicate ids', () => {
    const text = [
      'apiVersion: kha-drill/v1',
      'kind: Drill',
      'metadata: {name: d, description: x}',
      'inject:',
      '  - {action: heal, target: step:later}',
      '  - {id: later, action: heal, target: etcd-leader}',
      '  - {id: later, action: heal, target: etcd-leader}',
      'observe: {timeout: 1s}',
    ].join('\n');
    expect(checkConfigText(text, 'd.yaml').problems.map(formatProblem)).toEqual([
      "d.yaml:5:33 inject[0].target: step 'later' is not an earlier inject step (expected the id of an earlier inject step)",
      "d.yaml:7:10 inject[2].id: duplicate step id 'later' (first used at inject[1])",
    ]);
  });

  it('names the forms a union accepts, with did-you-mean for its literals', () => {
    const drill = (from: string): string[] =>
      checkConfigText(
        [
          'apiVersion: kha-drill/v1',
          'kind: Drill',
          'metadata: {name: d, description: x}',
          `inject: [{action: partition, target: etcd-leader, from: ${from}}]`,
          'observe: {timeout: 1s}',
        ].join('\n'),
        'd.yaml',
      ).problems.map(formatProblem);
    expect(drill('pears')).toEqual([
      "d.yaml:4:57 inject[0].from: invalid value 'pears' (did you mean 'peers'?)",
    ]);
    expect(drill('5')).toEqual(["d.yaml:4:57 inject[0].from: got the number 5 (expected 'peers' or a list)"]);
  });

  it('checks inventory leader-election timings as client-go does', () => {
    const text = [
      'apiVersion: kha-drill/v1',
      'kind: Inventory',
      'metadata: {name: c}',
      'masters: [{name: m, host: h, nodeName: n, etcd: "http://h:2379", apiserver: "https://h:6443"}]',
      'kubernetes:',
      '  loadBalancer: https://h:6443',
      '  leaderElection: {leaseDuration: 10s, renewDeadline: 10s, retryPeriod: 9s}',
      'services: {manager: custom}',
    ].join('\n');
    expect(checkConfigText(text, 'i.yaml').problems.map(formatProblem)).toEqual([
      'i.yaml:7:55 kubernetes.leaderElection.renewDeadline: renewDeadline 10s must be less than leaseDuration 10s',
      'i.yaml:7:73 kubernetes.leaderElection.retryPeriod: retryPeriod 9s is too long (expected renewDeadline > 1.2 × retryPeriod)',
      'i.yaml:8:21 services.manager: manager is custom but services.custom is missing (expected start, stop, kill, isActive)',
    ]);
  });
});
