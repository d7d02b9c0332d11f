/**
 * The drill's restore budget (issue 16), on the real lab: an undo that cannot succeed (the unit
 * is made to fail its start after the fault) is tried exactly `safety.restore.tries` times; the
 * run exits 5 and names what will still put it back (its armed switch with the time left, and
 * `recover`); once the cause is gone, `recover` restores it and no switch stays armed.
 * Needs root and the built CLI (`npm run build`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  allActive,
  kha,
  labSsh,
  settleUnits,
  spawnKha,
  startLab,
  stopLab,
  waitHealthy,
  type Lab,
} from './lab.js';

let lab: Lab;
let work: string;
const DROP_IN = '/etc/systemd/system/kube-scheduler.service.d/zz-kha-test.conf';
const env = () => ({ KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' });

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'kha-budget-it-'));
  lab = await startLab();
}, 120_000);

afterAll(async () => {
  try {
    for (const m of lab?.masters ?? []) labSsh(lab, m.name, `rm -f ${DROP_IN} && systemctl daemon-reload`);
  } finally {
    await stopLab();
  }
});

describe('restore budget from the drill', () => {
  it('tries as often as the drill says, then names the switch and recover; recover finishes', async () => {
    const healthy = await waitHealthy(lab, env());
    expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);
    const drill = path.join(work, 'budget.yaml');
    const target = lab.masters[0]!.name;
    writeFileSync(
      drill,
      stringify({
        apiVersion: 'kha-drill/v1',
        kind: 'Drill',
        metadata: { name: 'budget', description: 'stop the scheduler, restore with 2 tries' },
        inject: [{ action: 'stopService', target: `master:${target}`, service: 'kube-scheduler' }],
        observe: { timeout: '3s' },
        safety: { restore: { tries: 2, backoff: '1s' } },
      }),
    );
    let broken = false;
    const r = await spawnKha(
      ['run', drill, '-i', lab.inventory, '--out', path.join(work, 'reports')],
      env(),
      (text) => {
        if (!broken && /✓ inject 1/.test(text)) {
          broken = true;
          // the unit's start now fails: the undo cannot succeed
          labSsh(
            lab,
            target,
            `mkdir -p ${path.dirname(DROP_IN)} && printf '[Service]\\nExecStartPre=/bin/false\\n' > ${DROP_IN} && systemctl daemon-reload`,
          );
        }
      },
    );
    expect(broken).toBe(true);
    expect(r.code, r.stdout + r.stderr).toBe(5);
    const out = r.stdout + r.stderr;
    expect(out.match(/restore attempt \d failed/g)).toEqual([
      'restore attempt 1 failed',
      'restore attempt 2 failed',
    ]);
    expect(out).toMatch(
      new RegExp(
        `its dead-man's switch kha-drill-heal-\\S+-inject-0-0 on ${target} fires in about \\d+ s unless disarmed; \`kha-drill recover -i <inventory>\` replays it`,
      ),
    );
    const timers = labSsh(
      lab,
      target,
      "systemctl list-timers --all --no-legend --no-pager 'kha-drill-heal-*'",
    );
    expect(timers.stdout).toMatch(/kha-drill-heal-\S+-inject-0-0\.timer/);

    labSsh(lab, target, `rm -f ${DROP_IN} && systemctl daemon-reload`);
    const rec = await kha(['recover', '-i', lab.inventory], env());
    expect(rec.code, rec.stdout + rec.stderr).toBe(0);
    expect(rec.stdout + rec.stderr).toMatch(/recovered: nothing is pending/);
    // recover asks systemd on every master: nothing is left armed
    expect(rec.stdout).toContain("no dead-man's switch is armed on any master");
    const after = labSsh(
      lab,
      target,
      "systemctl list-timers --all --no-legend --no-pager 'kha-drill-heal-*'",
    );
    expect(after.stdout.trim()).toBe('');
    expect(await settleUnits(lab)).toEqual(allActive(lab));
  }, 180_000);
});
