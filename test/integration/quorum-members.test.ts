/**
 * The quorum guardrail counts etcd's own members (issue 16), on the real lab: an inventory that
 * lists only two of the three masters still has three etcd voters, so stopping one listed
 * member keeps quorum; once the unlisted member is stopped by hand, the same plan is refused and
 * names the member the inventory does not list. Needs root and the built CLI (`npm run build`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { allActive, kha, labSsh, settleUnits, startLab, stopLab, waitHealthy, type Lab } from './lab.js';

let lab: Lab;
let work: string;
let twoMasters: string;
let drill: string;

const env = () => ({ KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' });

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'kha-quorum-it-'));
  lab = await startLab();
  const inv = parse(readFileSync(lab.inventory, 'utf8')) as { masters: unknown[] };
  inv.masters = inv.masters.slice(0, 2);
  twoMasters = path.join(work, 'inventory-two.yaml');
  writeFileSync(twoMasters, stringify(inv));
  drill = path.join(work, 'stop-one-etcd.yaml');
  writeFileSync(
    drill,
    stringify({
      apiVersion: 'kha-drill/v1',
      kind: 'Drill',
      metadata: { name: 'stop-one-etcd', description: 'stop etcd on the first listed master' },
      inject: [{ action: 'stopService', target: `master:${lab.masters[0]?.name}`, service: 'etcd' }],
      observe: { timeout: '5s' },
    }),
  );
}, 120_000);

afterAll(async () => {
  try {
    if (lab) labSsh(lab, lab.masters[2]!.name, 'systemctl start etcd');
  } finally {
    await stopLab();
  }
});

describe("quorum guardrail from etcd's member list", () => {
  it('counts the member the inventory leaves out, and refuses once it is down', async () => {
    const healthy = await waitHealthy(lab, env());
    expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);

    const ok = await kha(['plan', drill, '-i', twoMasters], env());
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain("etcd voting members (etcd's member list): 3");
    expect(ok.stdout).not.toMatch(/loses quorum/);

    const third = lab.masters[2]!.name;
    const stop = labSsh(lab, third, 'systemctl stop etcd');
    expect(stop.status, stop.stderr).toBe(0);

    const refused = await kha(['plan', drill, '-i', twoMasters], env());
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    const out = refused.stdout + refused.stderr;
    expect(out).toMatch(
      /takes down 2 of 3 etcd members \(.*etcd member \S+ \([0-9a-f]+\).*\).*loses quorum \(needs 2\)/,
    );
    expect(out).toContain(`etcd member ${third} (`);

    const start = labSsh(lab, third, 'systemctl start etcd');
    expect(start.status, start.stderr).toBe(0);
    expect(await settleUnits(lab)).toEqual(allActive(lab));
  }, 120_000);
});
