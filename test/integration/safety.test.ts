/**
 * Safety on the master itself (issue 16) on the real lab: a run that loses its terminal (SIGHUP)
 * or its output (closed stdout and stderr) still restores, writes its report and exits with its
 * real code; a harness killed with SIGKILL after inject leaves a master that heals itself (the
 * dead-man's switch); no run leaves a switch armed. Needs root and the built CLI (`npm run build`).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  allActive,
  inMaster,
  kha,
  labSsh,
  settleUnits as settleLabUnits,
  spawnKha as spawnCli,
  startLab,
  stopLab,
  waitHealthy,
  type Lab,
} from './lab.js';

let lab: Lab;
let work: string;

const ALL_ACTIVE = (): string[] => allActive(lab);
const settleUnits = (timeoutMs?: number): Promise<string[]> => settleLabUnits(lab, timeoutMs);
const spawnKha = (args: string[], onStderr: Parameters<typeof spawnCli>[2]) =>
  spawnCli(args, env(), onStderr);

function env(): Record<string, string> {
  return { KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' };
}

/**
 * The dead-man's switches (transient timers) loaded on each master, armed or not; asked inside
 * the masters (`inMaster`), so it works while the laptop side is cut off.
 */
function switches(): string[] {
  return lab.masters.flatMap((m) => {
    const r = inMaster(
      lab,
      m.name,
      "systemctl list-units --all --no-legend --plain --no-pager 'kha-drill-heal-*'",
    );
    return r.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => `${m.name}: ${l.trim()}`);
  });
}

/** Stops the scheduler Lease holder, then observes for a minute (a signal must cut it short). */
function holdDrill(safety: object = {}, step?: object): string {
  const file = path.join(work, 'safety-hold.yaml');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'kha-drill/v1',
      kind: 'Drill',
      metadata: { name: 'safety-hold', description: 'stop the scheduler, observe a minute' },
      inject: [
        step ?? {
          action: 'stopService',
          target: 'lease-holder:kube-system/kube-scheduler',
          service: 'kube-scheduler',
        },
      ],
      observe: { timeout: '60s' },
      safety,
    }),
  );
  return file;
}

const reportsDir = (name: string) => path.join(work, name);

/** The laptop side's address on this lab's network (198.18.<net>.1). */
const laptopAddress = (): string =>
  (JSON.parse(readFileSync(path.join(lab.dir, 'lab.json'), 'utf8')) as { laptop: { address: string } }).laptop
    .address;
const reportFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir).flatMap((d) =>
        existsSync(path.join(dir, d, 'report.json')) ? [path.join(dir, d, 'report.json')] : [],
      )
    : [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'kha-safety-it-'));
  lab = await startLab();
}, 120_000);

afterAll(async () => {
  await stopLab();
});

describe('safety on the lab', () => {
  beforeEach(async () => {
    const r = await waitHealthy(lab, env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 90_000);

  it('SIGHUP after inject restores every unit, writes the report and exits 4', async () => {
    const out = reportsDir('reports-hup');
    let sent = 0;
    const r = await spawnKha(['run', holdDrill(), '-i', lab.inventory, '--out', out], (text, child) => {
      if (!sent && /✓ inject 1/.test(text)) {
        sent = Date.now();
        child.kill('SIGHUP');
      }
    });
    expect(sent).toBeGreaterThan(0);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(4);
    expect(Date.now() - sent).toBeLessThan(30_000);
    expect(r.stderr).toMatch(/SIGHUP received: stopping and restoring/);
    expect(r.stdout).toMatch(/safety-hold: INTERRUPTED \(exit 4\)/);
    expect(reportFiles(out)).toHaveLength(1);
    expect(await settleUnits()).toEqual(ALL_ACTIVE());
    expect(switches()).toEqual([]);
  });

  it('stdout and stderr closed right after inject: the run restores, writes its report, exits with its real code', async () => {
    const out = reportsDir('reports-closed');
    let closed = false;
    const r = await spawnKha(
      ['run', 'scheduler-failover', '-i', lab.inventory, '--out', out],
      (text, child) => {
        if (!closed && /✓ inject 1/.test(text)) {
          closed = true;
          child.stdout?.destroy();
          child.stderr?.destroy();
        }
      },
    );
    expect(closed).toBe(true);
    expect(r.signal).toBeNull();
    // the drill itself passes: a closed output must not turn it into "an SLO failed" (1) or a crash
    expect(r.code).toBe(0);
    expect(reportFiles(out)).toHaveLength(1);
    expect(await settleUnits()).toEqual(ALL_ACTIVE());
    expect(switches()).toEqual([]);
  });

  it('a normal run arms a switch before the fault and leaves none; plan shows it with its TTL', async () => {
    const plan = await kha(['plan', 'scheduler-failover', '-i', lab.inventory], env());
    expect(plan.stdout).toMatch(
      /dead-man's switch kha-drill-heal-\S+: runs the undo by itself after 152 s unless disarmed/,
    );
    const out = reportsDir('reports-normal');
    const r = await kha(['run', 'scheduler-failover', '-i', lab.inventory, '--out', out], env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(
      /dead-man's switch kha-drill-heal-\S+-inject-0-0: .* \(armed on master-\d\)/,
    );
    const journal = readFileSync(
      path.join(path.dirname(reportFiles(out)[0] as string), 'journal.ndjson'),
      'utf8',
    );
    expect(journal).toMatch(
      /"switch":\{"unit":"kha-drill-heal-[^"]+-inject-0-0","ttlS":152,"armedAt":"[^"]+"\}/,
    );
    expect(switches()).toEqual([]);
  });

  it('as found: a component stopped on purpose before the run stays stopped after restore', async () => {
    const drill = path.join(work, 'safety-as-found.yaml');
    writeFileSync(
      drill,
      stringify({
        apiVersion: 'kha-drill/v1',
        kind: 'Drill',
        metadata: { name: 'safety-as-found', description: 'stop the scheduler; restore starts components' },
        inject: [
          {
            action: 'stopService',
            target: 'lease-holder:kube-system/kube-scheduler',
            service: 'kube-scheduler',
          },
        ],
        observe: {
          until: { check: 'leaseHolderChanged', lease: 'kube-system/kube-scheduler' },
          timeout: '30s',
        },
        // the blanket restore the built-in drills used to have
        restore: [
          { action: 'startService', target: 'all-masters', service: 'kube-controller-manager' },
          { action: 'startService', target: 'all-masters', service: 'kube-scheduler' },
        ],
      }),
    );
    const stopped = labSsh(lab, 'master-2', 'systemctl stop kube-controller-manager', 90_000);
    expect(stopped.status, stopped.stderr).toBe(0);
    try {
      const r = await kha(
        ['run', drill, '-i', lab.inventory, '--out', reportsDir('reports-as-found')],
        env(),
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/as found: left stopped .*kube-controller-manager on master-2/);
      expect(labSsh(lab, 'master-2', 'systemctl is-active kube-controller-manager').stdout.trim()).toBe(
        'inactive',
      );
      const expected = ALL_ACTIVE().map((l) =>
        l.startsWith('master-2:') ? 'master-2: active active active inactive' : l,
      );
      expect(await settleUnits(5_000)).toEqual(expected);
      expect(switches()).toEqual([]);
    } finally {
      labSsh(lab, 'master-2', 'systemctl start kube-controller-manager');
    }
    expect(await settleUnits()).toEqual(ALL_ACTIVE());
  }, 120_000);

  /** Faults whose switch must heal the master alone: the step, and a command true while faulted. */
  const SCHEDULER_PID = 'systemctl show -p MainPID --value kube-scheduler';
  const killCases = [
    {
      name: 'stopService',
      step: undefined,
      faulted: '! systemctl is-active --quiet kube-scheduler',
    },
    {
      name: 'killService -s STOP',
      step: {
        action: 'killService',
        target: 'lease-holder:kube-system/kube-scheduler',
        service: 'kube-scheduler',
        signal: 'STOP',
      },
      faulted: `ps -o stat= -p "$(${SCHEDULER_PID})" | grep -q '^T'`,
    },
    {
      name: 'partition',
      step: { action: 'partition', target: 'etcd-follower', from: 'peers' },
      faulted: 'iptables -w -S | grep -q kha-drill',
    },
  ];
  for (const c of killCases) {
    it(`SIGKILL of the harness after a ${c.name} inject, laptop cut off: the master heals itself within the TTL, says so in its journal copy, recover --from-masters finds nothing left`, async () => {
      const TTL = 15;
      let killedAt = 0;
      const r = await spawnKha(
        [
          'run',
          holdDrill({ switchTtl: `${TTL}s` }, c.step),
          '-i',
          lab.inventory,
          '--out',
          reportsDir('reports-kill'),
        ],
        (text, child) => {
          if (!killedAt && /✓ inject 1/.test(text)) {
            killedAt = Date.now();
            child.kill('SIGKILL');
          }
        },
      );
      expect(r.signal).toBe('SIGKILL');
      // the laptop side is cut off from every master from here on (a closed lid, a lost VPN):
      // whatever heals them runs on the masters
      const laptop = laptopAddress();
      const cut = (op: '-I' | '-D') =>
        lab.masters.map(
          (m) =>
            inMaster(
              lab,
              m.name,
              `iptables -w ${op} INPUT -s ${laptop} -m comment --comment kha-test-cutoff -j DROP`,
            ).status,
        );
      expect(cut('-I')).toEqual(lab.masters.map(() => 0));
      try {
        expect(labSsh(lab, 'master-1', 'true', 5_000).status).not.toBe(0);
        // the fault is there, and so is its armed switch on the master the step hit (the timer;
        // its service is loaded inactive until the timer starts it)
        const armed = switches().filter((l) => l.includes('.timer'));
        expect(armed, switches().join('\n')).toHaveLength(1);
        expect(armed[0]).toMatch(
          /^master-\d: kha-drill-heal-\S+-inject-0-0\.timer\s+loaded\s+active\s+waiting/,
        );
        const victim = (armed[0] as string).split(':')[0] as string;
        expect(inMaster(lab, victim, c.faulted).status).toBe(0);
        let healedAfterS = Number.NaN;
        while (Date.now() - killedAt < (TTL + 10) * 1000) {
          if (inMaster(lab, victim, c.faulted).status === 1) {
            healedAfterS = (Date.now() - killedAt) / 1000;
            break;
          }
          await new Promise((res) => setTimeout(res, 250));
        }
        expect(healedAfterS).toBeGreaterThan(TTL - 2);
        expect(healedAfterS).toBeLessThan(TTL + 5);
        // the journal copy on the master says the switch healed it
        const copies = inMaster(lab, victim, 'cat /var/lib/kha-drill/journal/*.json.status');
        expect(copies.stdout).toMatch(/"status":"healed","by":"dead-man's switch"/);
      } finally {
        cut('-D');
      }
      expect(await settleUnits()).toEqual(ALL_ACTIVE());
      expect(switches()).toEqual([]);
      // from another machine (another state directory, no local journal): the masters' copies
      // are the record; recover verifies what the switch healed and finds nothing left after
      const elsewhere = {
        ...env(),
        KHA_STATE_DIR: path.join(work, `elsewhere-${c.name.replace(/\W+/g, '-')}`),
      };
      const fromMasters = await kha(['recover', '--from-masters', '-i', lab.inventory], elsewhere);
      expect(fromMasters.code, fromMasters.stdout + fromMasters.stderr).toBe(0);
      expect(fromMasters.stdout).toMatch(/healed by dead-man's switch at \S+ \(master's clock\); verifying/);
      expect(fromMasters.stdout).toMatch(/✓ restored and verified; marked done on master-\d/);
      const again = await kha(['recover', '--from-masters', '-i', lab.inventory], elsewhere);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toMatch(/\d+ record\(s\), 0 not done/);
      // the laptop's own journal is still pending: recover verifies and clears it too
      const rec = await kha(['recover', '-i', lab.inventory], env());
      expect(rec.code, rec.stdout + rec.stderr).toBe(0);
      expect(rec.stdout).toMatch(/dead-man's switch kha-drill-heal-\S+ is disarmed \(or had already fired\)/);
    }, 90_000);
  }
});
