/**
 * The drill engine on the lab (issue 4's "Done when"): run, plan, interrupts, kill -9 + recover,
 * preflight failures, guardrails. Needs root and the built CLI (`npm run build`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  allActive,
  kha,
  kubectl,
  labSsh,
  settleUnits as settleLabUnits,
  spawnKha as spawnCli,
  startLab,
  stopLab,
  unitStates as labUnitStates,
  waitHealthy,
  type Lab,
} from './lab.js';

const unitStates = (): string[] => labUnitStates(lab);
const ALL_ACTIVE = (): string[] => allActive(lab);
const settleUnits = (timeoutMs?: number): Promise<string[]> => settleLabUnits(lab, timeoutMs);
const spawnKha = (args: string[], onStderr: Parameters<typeof spawnCli>[2]) =>
  spawnCli(args, env(), onStderr);
let lab: Lab;
let work: string;

async function schedulerHolder(): Promise<string> {
  const r = kubectl(lab, [
    'get',
    'lease',
    '-n',
    'kube-system',
    'kube-scheduler',
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]);
  return r.stdout.trim();
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1', ...extra };
}

function runArgs(drill: string, inventory = lab.inventory, more: string[] = []): string[] {
  return ['run', drill, '-i', inventory, '--out', path.join(work, 'reports'), ...more];
}

function writeDrill(name: string, body: object): string {
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'kha-drill/v1',
      kind: 'Drill',
      metadata: { name, description: `test drill ${name}` },
      ...body,
    }),
  );
  return file;
}

/** A copy of the lab inventory with `edit` applied. */
function inventoryWith(
  name: string,
  edit: (inv: { masters: Record<string, unknown>[]; ssh: Record<string, unknown> }) => void,
): string {
  const inv = parse(readFileSync(lab.inventory, 'utf8'));
  edit(inv);
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(file, stringify(inv));
  return file;
}

/** Stops the scheduler Lease holder and an etcd follower, then watches for a minute. */
function holdDrill(): string {
  return writeDrill('engine-hold', {
    watchers: { lease: { leases: ['kube-system/kube-scheduler'] } },
    inject: [
      {
        id: 'victim',
        action: 'stopService',
        target: 'lease-holder:kube-system/kube-scheduler',
        service: 'kube-scheduler',
      },
      { action: 'stopService', target: 'etcd-follower', service: 'etcd' },
    ],
    observe: { timeout: '60s' },
  });
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'kha-engine-it-'));
  lab = await startLab();
}, 120_000);

afterAll(async () => {
  await stopLab();
});

describe('kha-drill engine on the lab', () => {
  // each test starts from a healthy cluster: after a restore, an API server whose etcd was
  // stopped answers /readyz with 500 for a moment, which preflight rightly refuses
  beforeEach(async () => {
    const r = await waitHealthy(lab, env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 90_000);

  it('plan scheduler-failover prints the resolved master and exact commands, and changes nothing', async () => {
    const before = { holder: await schedulerHolder(), units: unitStates() };
    const master = before.holder.split('_')[0] as string;
    const r = await kha(['plan', 'scheduler-failover', '-i', lab.inventory], env());
    expect(r.code).toBe(0);
    const address = lab.masters.find((m) => m.name === master)?.address;
    expect(r.stdout).toContain(`lease-holder:kube-system/kube-scheduler → ${master}`);
    expect(r.stdout).toContain(`on ${master} (${address}): systemctl stop kube-scheduler`);
    expect(r.stdout).toContain(`undo on ${master} (${address}): systemctl start kube-scheduler`);
    expect(await schedulerHolder()).toBe(before.holder);
    expect(unitStates()).toEqual(before.units);
  });

  it('run scheduler-failover exits 0, the Lease moves to another master, every unit is active after', async () => {
    const before = await schedulerHolder();
    const r = await kha(runArgs('scheduler-failover'), env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/scheduler-failover: PASS \(exit 0\)/);
    const after = await schedulerHolder();
    expect(after).not.toBe('');
    expect(after.split('_')[0]).not.toBe(before.split('_')[0]);
    expect(await settleUnits()).toEqual(ALL_ACTIVE());
    const runDir = /report: (\S+)/.exec(r.stdout)?.[1] as string;
    const report = JSON.parse(readFileSync(path.join(runDir, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ outcome: 'pass', exitCode: 0, restore: { ok: true } });
    expect(report.targets['lease-holder:kube-system/kube-scheduler']).toEqual([before.split('_')[0]]);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} during observe restores every unit and exits 4`, async () => {
      let sent = 0;
      const r = await spawnKha(runArgs(holdDrill()), (text, child) => {
        if (!sent && /▶ observe/.test(text)) {
          sent = Date.now();
          child.kill(sig);
        }
      });
      expect(sent).toBeGreaterThan(0);
      // observe lasts 60 s: the signal must cut it short
      expect(Date.now() - sent).toBeLessThan(20_000);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stdout).toMatch(/engine-hold: INTERRUPTED \(exit 4\)/);
      expect(r.stderr).toMatch(new RegExp(`${sig} received: stopping and restoring`));
      expect(await settleUnits()).toEqual(ALL_ACTIVE());
    });
  }

  it('a second Ctrl-C during restore says what is still pending and keeps restoring', async () => {
    const drill = writeDrill('engine-slow-restore', {
      inject: [
        {
          action: 'stopService',
          target: 'lease-holder:kube-system/kube-scheduler',
          service: 'kube-scheduler',
        },
      ],
      observe: { timeout: '60s' },
      restore: [{ action: 'wait', duration: '3s' }],
    });
    let first = false;
    let second = false;
    const r = await spawnKha(runArgs(drill), (text, child) => {
      if (!first && /▶ observe/.test(text)) {
        first = true;
        child.kill('SIGINT');
      } else if (first && !second && /▶ restore 2: wait 3s/.test(text)) {
        second = true;
        child.kill('SIGINT');
      }
    });
    expect(second).toBe(true);
    expect(r.stderr).toMatch(/still restoring, please wait/);
    expect(r.code).toBe(4);
    expect(await settleUnits()).toEqual(ALL_ACTIVE());
  });

  it('kill -9 after inject leaves a journal; run refuses; recover restores every unit', async () => {
    let killed = false;
    const r = await spawnKha(runArgs(holdDrill()), (text, child) => {
      if (!killed && /✓ inject 2/.test(text)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    expect(r.signal).toBe('SIGKILL');
    expect(unitStates().join(' ')).toMatch(/inactive/);

    const refused = await kha(runArgs('scheduler-failover'), env());
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/restore journal of cluster lab-it\d+ is pending/);
    expect(refused.stderr).toMatch(/kha-drill recover/);

    const rec = await kha(['recover', '-i', lab.inventory], env());
    expect(rec.code, rec.stdout + rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/2 pending undo\(s\)/);
    expect(rec.stdout).toMatch(/recovered: nothing is pending/);
    expect(await settleUnits()).toEqual(ALL_ACTIVE());
    expect((await kha(['recover', '-i', lab.inventory], env())).stdout).toMatch(/nothing to recover/);
  });

  it('partitions the etcd leader with iptables, a new leader is elected, heal removes every rule', async () => {
    const drill = writeDrill('partition-leader', {
      requires: ['root'],
      watchers: { raft: {} },
      steadyState: [{ check: 'etcdHealthy' }],
      inject: [{ id: 'isolated', action: 'partition', target: 'etcd-leader' }],
      observe: { until: { check: 'etcdLeaderChanged' }, timeout: '20s', settle: '1s' },
      restore: [
        { action: 'waitFor', condition: { check: 'etcdHealthy' }, timeout: '30s' },
        // components that lost their Lease during the partition exit; systemd restarts them, and
        // a start of a running unit is a no-op
        { action: 'startService', target: 'all-masters', service: 'kube-scheduler' },
        { action: 'startService', target: 'all-masters', service: 'kube-controller-manager' },
      ],
    });
    const r = await kha(runArgs(drill), env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rules =
      labSsh(lab, 'master-1', 'iptables -S').stdout +
      labSsh(lab, 'master-2', 'iptables -S').stdout +
      labSsh(lab, 'master-3', 'iptables -S').stdout;
    expect(rules).not.toMatch(/kha-drill:/);
    expect(await settleUnits()).toEqual(ALL_ACTIVE());
    const report = JSON.parse(
      readFileSync(path.join(/report: (\S+)/.exec(r.stdout)?.[1] as string, 'report.json'), 'utf8'),
    );
    expect(report.steps.find((s: { action: string }) => s.action === 'partition').command).toMatch(
      /^iptables -w -I INPUT -s 198\.18\.\d+\.\d+ -j DROP -m comment --comment kha-drill:/,
    );
  });

  it('run --dry-run prints the plan and touches nothing', async () => {
    const holder = await schedulerHolder();
    const r = await kha(runArgs('scheduler-failover', lab.inventory, ['--dry-run']), env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Plan for drill scheduler-failover .*nothing is touched/);
    expect(r.stdout).toMatch(/systemctl stop kube-scheduler/);
    expect(await schedulerHolder()).toBe(holder);
    expect(unitStates()).toEqual(ALL_ACTIVE());
  });

  it('refuses a drill that stops 2 of 3 etcd members without allowQuorumLoss and --yes (exit 2)', async () => {
    const body = {
      inject: [
        { action: 'stopService', target: 'master:master-1', service: 'etcd' },
        { action: 'stopService', target: 'master:master-2', service: 'etcd' },
      ],
      observe: { timeout: '5s' },
    };
    const without = await kha(runArgs(writeDrill('two-etcd', body), lab.inventory, ['--yes']), env());
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/takes down 2 of 3 etcd members \(master-1, master-2\)/);
    const noYes = await kha(
      runArgs(writeDrill('two-etcd-allowed', { ...body, allowQuorumLoss: true })),
      env(),
    );
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/--yes was not given/);
    expect(unitStates()).toEqual(ALL_ACTIVE());
  });

  it('a wrong host key exits 3 before anything is injected', async () => {
    const knownHosts = path.join(work, 'known_hosts_wrong');
    const other = path.join(work, 'otherkey');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherKey = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const lines = readFileSync(lab.knownHosts, 'utf8').split('\n').filter(Boolean);
    const m2 = lab.masters[1]?.address as string;
    writeFileSync(
      knownHosts,
      lines
        .filter((l) => !l.startsWith(`${m2} `))
        .concat(`${m2} ${otherKey}`)
        .join('\n') + '\n',
    );
    const inv = inventoryWith('inv-wrong-key', (i) => (i.ssh.knownHosts = knownHosts));
    const holder = await schedulerHolder();
    const r = await kha(runArgs('scheduler-failover', inv), env());
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/master-2 \(198\.18\.\d+\.\d+\): HOST KEY CHANGED for master-2/);
    expect(await schedulerHolder()).toBe(holder);
    expect(unitStates()).toEqual(ALL_ACTIVE());
  });

  it('a unit name that is not on the masters exits 3 at preflight, with nothing to recover', async () => {
    const inv = inventoryWith('inv-wrong-unit', (i) => {
      (i as unknown as { services: Record<string, unknown> }).services = {
        manager: 'systemd',
        units: { 'kube-scheduler': 'kube-schedulr' },
      };
    });
    const holder = await schedulerHolder();
    const r = await kha(runArgs('scheduler-failover', inv), env());
    expect(r.code, r.stdout + r.stderr).toBe(3);
    for (const m of ['master-1', 'master-2', 'master-3'])
      expect(r.stderr).toContain(`${m}: no unit 'kube-schedulr' (services.units.kube-scheduler)`);
    expect(await schedulerHolder()).toBe(holder);
    expect(unitStates()).toEqual(ALL_ACTIVE());
    expect((await kha(['recover', '-i', lab.inventory], env())).stdout).toMatch(/nothing to recover/);
  });

  it('a wrong etcd endpoint exits 3 before anything is injected', async () => {
    const inv = inventoryWith('inv-wrong-etcd', (i) => {
      (i.masters[1] as { etcd: string }).etcd = `http://${lab.masters[1]?.address}:2999`;
    });
    const r = await kha(runArgs('scheduler-failover', inv), env());
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/etcd members not answering:\n\s+master-2 \(http:\/\/198\.18\.\d+\.\d+:2999\)/);
    expect(unitStates()).toEqual(ALL_ACTIVE());
  });

  it('a master whose sshd is down exits 3 before anything is injected', async () => {
    // the real sshd of master-3 stops; a transient timer on the master starts it again (systemd
    // timers fire up to AccuracySec late, 1 min by default: this one is made exact)
    const stop = labSsh(
      lab,
      'master-3',
      'systemd-run --quiet --on-active=15 --timer-property=AccuracySec=100ms systemctl start ssh && systemctl stop ssh',
    );
    expect(stop.status, stop.stderr).toBe(0);
    const holder = await schedulerHolder();
    const r = await kha(runArgs('scheduler-failover'), env());
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /master-3 \(198\.18\.\d+\.\d+\): cannot connect to master-3 .*connection refused/,
    );
    expect(await schedulerHolder()).toBe(holder);
    for (let i = 0; i < 60 && labSsh(lab, 'master-3', 'true').status !== 0; i++)
      await new Promise((res) => setTimeout(res, 500));
    expect(labSsh(lab, 'master-3', 'systemctl is-active ssh').stdout.trim()).toBe('active');
  });
});
