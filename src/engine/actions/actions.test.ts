import { describe, expect, it } from 'vitest';
import { Step, type Step as StepT } from '../../config/schema.js';
import { fakeInventory, fakeInventoryWithUnits, withUnits } from '../testing/fakes.js';
import { renderStep } from './index.js';

const inv = fakeInventory();
const [m1, m2, m3] = inv.masters as [
  (typeof inv.masters)[0],
  (typeof inv.masters)[0],
  (typeof inv.masters)[0],
];
const ctx = { inventory: inv, runId: 'run-7', index: 0, phase: 'inject' as const };
const step = (s: Record<string, unknown>): StepT => Step.parse(s);

describe('action rendering', () => {
  it.each([
    [
      { action: 'stopService', target: 'master:master-1', service: 'kube-scheduler' },
      'systemctl stop kube-scheduler',
      'systemctl start kube-scheduler',
    ],
    [
      { action: 'killService', target: 'master:master-1', service: 'etcd' },
      'systemctl kill -s KILL etcd',
      'systemctl start etcd',
    ],
    [
      { action: 'killService', target: 'master:master-1', service: 'etcd', signal: 'STOP' },
      'systemctl kill -s STOP etcd',
      'systemctl kill -s CONT etcd',
    ],
    [
      { action: 'restartService', target: 'master:master-1', service: 'kube-apiserver' },
      'systemctl restart kube-apiserver',
      'systemctl start kube-apiserver',
    ],
    [
      { action: 'startService', target: 'master:master-1', service: 'kube-apiserver' },
      'systemctl start kube-apiserver',
      null,
    ],
    [
      { action: 'ssh', target: 'master:master-1', command: 'touch /tmp/x', undo: 'rm -f /tmp/x' },
      'touch /tmp/x',
      'rm -f /tmp/x',
    ],
    [{ action: 'ssh', target: 'master:master-1', command: 'uptime' }, 'uptime', null],
  ])('%j', (s, command, undo) => {
    const r = renderStep(step(s), { target: [m1], from: [] }, ctx);
    expect(r.ops).toEqual([{ master: 'master-1', command }]);
    expect(r.undo.map((u) => u.commands.join(' && '))).toEqual(undo ? [undo] : []);
  });

  it('keepDown: systemd gets a runtime drop-in with Restart=no before the kill; the undo removes it and starts the unit', () => {
    const r = renderStep(
      step({ action: 'killService', target: 'master:master-1', service: 'kube-scheduler', keepDown: true }),
      { target: [m1], from: [] },
      ctx,
    );
    const dropIn = '/run/systemd/system/kube-scheduler.service.d/90-kha-drill-keep-down.conf';
    expect(r.summary).toBe('kill -s KILL (kept down) kube-scheduler on master-1');
    expect(r.ops[0]!.command).toBe(
      `mkdir -p /run/systemd/system/kube-scheduler.service.d && printf '%s\\n' '[Service]' 'Restart=no' > ${dropIn} && systemctl daemon-reload && { systemctl kill -s KILL kube-scheduler || { rm -f ${dropIn}; systemctl daemon-reload; exit 1; }; }`,
    );
    expect(r.undo).toEqual([
      expect.objectContaining({
        master: 'master-1',
        commands: [`rm -f ${dropIn} && systemctl daemon-reload && systemctl start kube-scheduler`],
        verify: `systemctl is-active kube-scheduler && test ! -e ${dropIn}`,
      }),
    ]);
    // a unit name with its suffix keeps it; static pods lose the manifest right after the kill
    const named = fakeInventoryWithUnits({ 'kube-scheduler': 'sched.service' });
    const n = renderStep(
      step({ action: 'killService', target: 'master:master-1', service: 'kube-scheduler', keepDown: true }),
      { target: [named.masters[0]!], from: [] },
      { ...ctx, inventory: named },
    );
    expect(n.ops[0]!.command).toContain('/run/systemd/system/sched.service.d/90-kha-drill-keep-down.conf');
    expect(() =>
      renderStep(
        step({
          action: 'killService',
          target: 'master:master-1',
          service: 'etcd',
          signal: 'STOP',
          keepDown: true,
        }),
        { target: [m1], from: [] },
        ctx,
      ),
    ).toThrow(/keepDown needs signal KILL or TERM/);
  });

  it('verifies service undos with is-active on the same master', () => {
    const r = renderStep(
      step({ action: 'stopService', target: 'all-masters', service: 'kube-scheduler' }),
      { target: [m1, m2], from: [] },
      ctx,
    );
    expect(r.undo).toEqual([
      {
        id: 'inject-0.0',
        master: 'master-1',
        description: 'start kube-scheduler on master-1',
        commands: ['systemctl start kube-scheduler'],
        verify: 'systemctl is-active kube-scheduler',
      },
      {
        id: 'inject-0.1',
        master: 'master-2',
        description: 'start kube-scheduler on master-2',
        commands: ['systemctl start kube-scheduler'],
        verify: 'systemctl is-active kube-scheduler',
      },
    ]);
  });

  it('quotes unit names from the inventory', () => {
    const evil = withUnits(fakeInventory(3, { services: { manager: 'systemd' } }), {
      'kube-scheduler': 'sched; rm -rf / $(id)',
    });
    const r = renderStep(
      step({ action: 'stopService', target: 'master:master-1', service: 'kube-scheduler' }),
      { target: [m1], from: [] },
      { ...ctx, inventory: evil },
    );
    expect(r.ops[0]?.command).toBe("systemctl stop 'sched; rm -rf / $(id)'");
  });

  it('renders static-pod moves and custom templates', () => {
    const sp = fakeInventory(3, { services: { manager: 'static-pod' } });
    const r = renderStep(
      step({ action: 'stopService', target: 'master:master-1', service: 'etcd' }),
      { target: [m1], from: [] },
      { ...ctx, inventory: sp },
    );
    // the move, then a look at the container it stopped (services-static-pod.test.ts runs it)
    expect(r.ops[0]?.command).toContain(
      '; mkdir -p /etc/kubernetes/kha-drill-stash && mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/kha-drill-stash/etcd.yaml; kr=$?;',
    );
    expect(r.ops[0]?.command).toContain('> /etc/kubernetes/kha-drill-stash/etcd.exit;');
    // the undo never overwrites a manifest in place (services-static-pod.test.ts runs it)
    expect(r.undo[0]?.commands[0]).toMatch(
      /^if \[ -f \/etc\/kubernetes\/kha-drill-stash\/etcd\.yaml \] && \[ -f \/etc\/kubernetes\/manifests\/etcd\.yaml \]; then .*refusing to start etcd.* elif .* then mv \/etc\/kubernetes\/kha-drill-stash\/etcd\.yaml \/etc\/kubernetes\/manifests\/etcd\.yaml; else test -f \/etc\/kubernetes\/manifests\/etcd\.yaml; fi$/,
    );
    expect(r.undo[0]?.verify).toBe("crictl ps -q --name '^etcd$' --state Running | grep -q .");
    const custom = fakeInventoryWithUnits(
      { etcd: "my etcd'" },
      {
        services: {
          manager: 'custom',
          custom: {
            start: 'svc up {service}',
            stop: 'svc down {service}',
            kill: 'svc kill {service}',
            isActive: 'svc ok {service}',
          },
        },
      },
    );
    const c = renderStep(
      step({ action: 'killService', target: 'master:master-1', service: 'etcd' }),
      { target: [m1], from: [] },
      { ...ctx, inventory: custom },
    );
    expect(c.ops[0]?.command).toBe("svc kill 'my etcd'\\'''");
    expect(c.undo[0]).toMatchObject({ commands: ["svc up 'my etcd'\\'''"], verify: "svc ok 'my etcd'\\'''" });
  });

  it('partitions both directions from every peer, tagged with the run, and heals what it added', () => {
    const r = renderStep(
      step({ action: 'partition', target: 'master:master-2' }),
      { target: [m2], from: [] },
      ctx,
    );
    expect(r.ops).toEqual([
      {
        master: 'master-2',
        command: [
          'iptables -w -I INPUT -s 10.0.0.1 -j DROP -m comment --comment kha-drill:run-7',
          'iptables -w -I OUTPUT -d 10.0.0.1 -j DROP -m comment --comment kha-drill:run-7',
          'iptables -w -I INPUT -s 10.0.0.3 -j DROP -m comment --comment kha-drill:run-7',
          'iptables -w -I OUTPUT -d 10.0.0.3 -j DROP -m comment --comment kha-drill:run-7',
        ].join(' && '),
      },
    ]);
    const heal = r.undo[0];
    expect(heal?.master).toBe('master-2');
    expect(heal?.commands[0]).toContain(
      'while iptables -w -C INPUT -s 10.0.0.1 -j DROP -m comment --comment kha-drill:run-7 2>/dev/null; do iptables -w -D INPUT -s 10.0.0.1 -j DROP -m comment --comment kha-drill:run-7 || exit 1; done',
    );
    expect(heal?.verify).toContain(
      '{ iptables -w -C OUTPUT -d 10.0.0.3 -j DROP -m comment --comment kha-drill:run-7 2>/dev/null; [ $? -eq 1 ]; }',
    );
    expect(r.effects).toEqual([{ kind: 'isolate', master: 'master-2' }]);
  });

  it('partitions from a chosen list of targets only', () => {
    const r = renderStep(
      step({ action: 'partition', target: 'master:master-1', from: ['master:master-3'] }),
      { target: [m1], from: [m3] },
      ctx,
    );
    expect(r.ops[0]?.command).not.toContain('10.0.0.2');
    expect(r.ops[0]?.command).toContain('-s 10.0.0.3');
  });

  it('cuts the plan’s peer addresses, not the SSH hosts, with ip6tables for IPv6; heal checks the same rules', () => {
    const peers = {
      'master-1': ['198.18.60.11', 'fd00:60::11'],
      'master-2': ['198.18.60.12'],
      'master-3': ['198.18.60.13'],
    };
    const r = renderStep(
      step({ action: 'partition', target: 'master:master-2' }),
      { target: [m2], from: [] },
      { ...ctx, peers },
    );
    const cmd = r.ops[0]?.command ?? '';
    expect(cmd).not.toContain('10.0.0.');
    expect(cmd.split(' && ')).toEqual([
      'iptables -w -I INPUT -s 198.18.60.11 -j DROP -m comment --comment kha-drill:run-7',
      'iptables -w -I OUTPUT -d 198.18.60.11 -j DROP -m comment --comment kha-drill:run-7',
      'ip6tables -w -I INPUT -s fd00:60::11 -j DROP -m comment --comment kha-drill:run-7',
      'ip6tables -w -I OUTPUT -d fd00:60::11 -j DROP -m comment --comment kha-drill:run-7',
      'iptables -w -I INPUT -s 198.18.60.13 -j DROP -m comment --comment kha-drill:run-7',
      'iptables -w -I OUTPUT -d 198.18.60.13 -j DROP -m comment --comment kha-drill:run-7',
    ]);
    const undo = r.undo[0];
    expect(undo?.verify?.split(' && ')).toHaveLength(6);
    expect(undo?.verify).toContain(
      '{ ip6tables -w -C OUTPUT -d fd00:60::11 -j DROP -m comment --comment kha-drill:run-7 2>/dev/null; [ $? -eq 1 ]; }',
    );
    expect(undo?.commands[0]).toContain('while ip6tables -w -C INPUT -s fd00:60::11');
    const h = renderStep(
      step({ action: 'heal', target: 'master:master-2' }),
      { target: [m2], from: [] },
      { ...ctx, peers },
    );
    expect(h.ops[0]?.command).toBe(`${undo?.commands[0]}; ${undo?.verify}`);
  });

  it('renders local waits', () => {
    expect(
      renderStep(step({ action: 'wait', duration: '1.5s' }), { target: [], from: [] }, ctx).wait,
    ).toEqual({ seconds: 1.5 });
    const wf = renderStep(
      step({ action: 'waitFor', condition: { check: 'etcdHealthy' }, timeout: '20s' }),
      { target: [], from: [] },
      ctx,
    );
    expect(wf.waitFor?.timeoutS).toBe(20);
  });
});
