/**
 * Issue 19: a unit name that does not exist is found by preflight (exit 3, nothing injected,
 * no journal), names no service manager accepts are refused at validation, and a step that
 * failed before it took effect leaves nothing for restore or `recover`.
 */
import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../config/load.js';
import { formatProblem } from '../errors.js';
import { readPendingJournal } from './journal.js';
import { runDrill } from './run.js';
import { fakeInventory } from './testing/fakes.js';
import { runHarness } from './testing/run-harness.js';
import { presenceCommand } from './unit-check.js';

function deps(unit: string) {
  const inventory = fakeInventory(3, {
    services: { manager: 'systemd', units: { 'kube-scheduler': unit } },
  });
  const h = runHarness({ inventory, tuning: { restoreBackoffMs: [1], verifyTimeoutS: 0 } });
  return { d: h.deps, cluster: h.cluster, env: h.env };
}

describe('units a drill acts on exist on every master', () => {
  it('a unit that is not there: exit 3 at preflight, nothing injected, nothing journaled', async () => {
    const { d, cluster, env } = deps('kube-schedulr');
    const r = await runDrill(d);
    expect(r).toMatchObject({ outcome: 'not-steady', exitCode: 3 });
    expect(r.summary).toBe('preflight: what the drill acts on is not on the masters:');
    expect(r.errors[0]).toContain(
      "master-1: no unit 'kube-schedulr' (services.units.kube-scheduler)\n  master-2: no unit 'kube-schedulr'",
    );
    expect(r.errors[0]).toContain('hint: check services.manager and services.units in the inventory');
    expect(cluster.commands.filter((c) => !/^systemctl is-active|systemctl cat -- /.test(c.command))).toEqual(
      [],
    );
    expect(readPendingJournal(env, 'test-cluster')).toBeNull();
  });

  it('the check is one command per master: systemd unit files, static-pod manifests in place or stashed', () => {
    const inv = fakeInventory(1, {
      services: { manager: 'static-pod', units: { etcd: 'etcd' }, manifestDir: '/m', stashDir: '/s' },
    });
    expect(presenceCommand(inv, ['etcd'])).toBe(
      'if test -f /m/etcd.yaml || test -f /s/etcd.yaml >/dev/null 2>&1; then echo present; else echo missing; fi',
    );
    expect(presenceCommand(fakeInventory(1), ['etcd', 'kube-scheduler'])).toBe(
      'if systemctl cat -- etcd >/dev/null 2>&1; then echo present; else echo missing; fi; if systemctl cat -- kube-scheduler >/dev/null 2>&1; then echo present; else echo missing; fi',
    );
  });

  it('a failed inject step that changed nothing leaves no pending undo (restore and recover stay clean)', async () => {
    // the preflight passed (the unit exists) but the stop itself was refused
    const { d, cluster, env } = deps('kube-scheduler');
    cluster.failing = /^systemctl stop/;
    const r = await runDrill(d);
    expect(r).toMatchObject({ exitCode: 4, restore: { ok: true, pending: [] } });
    expect(readPendingJournal(env, 'test-cluster')).toBeNull();
  });
});

describe('unit names no service manager accepts are refused at validation', () => {
  it.each([
    ['a newline', '"kube-scheduler\\nx"', "'kube-scheduler\\nx'"],
    ['a ;', '"etcd; rm -rf /"', "'etcd; rm -rf /'"],
    ['$(…)', '"$(id)"', "'$(id)'"],
    ['a leading -', '"-H"', "'-H'"],
    ['a path', '"../../etc/passwd"', "'../../etc/passwd'"],
  ])('%s: exit 2 with the position, one line', (_, yaml, shown) => {
    const text = [
      'apiVersion: kha-drill/v1',
      'kind: Inventory',
      'metadata: { name: t }',
      'masters: [{ name: m1, host: 10.0.0.1, nodeName: n1, etcd: "https://10.0.0.1:2379", apiserver: "https://10.0.0.1:6443" }]',
      'kubernetes: { loadBalancer: "https://10.0.0.100:6443" }',
      'services:',
      '  manager: systemd',
      `  units: { kube-scheduler: ${yaml} }`,
      '',
    ].join('\n');
    const problems = checkConfigText(text, 'inv.yaml').problems.map(formatProblem);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      `inv.yaml:8:28 services.units.kube-scheduler: invalid value ${shown} (expected a unit or manifest name`,
    );
    expect(problems[0]).not.toContain('\n');
  });
});
