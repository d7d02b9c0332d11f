import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ComponentName } from '../config/schema.js';
import { fakeInventory, fakeInventoryWithUnits } from './testing/fakes.js';
import { activeComponents, serviceCommands } from './services.js';

const ALL: ComponentName[] = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'];

/** Runs a command under /bin/sh as the SSH server would, returning its stdout. */
function sh(command: string): { stdout: string } {
  try {
    return { stdout: execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' }) };
  } catch (err) {
    // a non-zero exit still has a stdout (is-active exits 3 when one unit is down)
    return { stdout: String((err as { stdout?: unknown }).stdout ?? '') };
  }
}

describe('areActive: one command per master for every component', () => {
  it('systemd asks systemctl once for all units, in order', () => {
    const s = serviceCommands(fakeInventory(3).services);
    expect(s.areActive(ALL)).toBe(
      'systemctl is-active etcd kube-apiserver kube-scheduler kube-controller-manager',
    );
  });

  it('reads systemctl’s lines; reloading counts as active, anything else as not', async () => {
    const s = serviceCommands(fakeInventory(3).services);
    const states = await activeComponents(
      s,
      async () => ({ stdout: 'active\nreloading\ninactive\nfailed\n' }),
      ALL,
    );
    expect([...states]).toEqual([
      ['etcd', true],
      ['kube-apiserver', true],
      ['kube-scheduler', false],
      ['kube-controller-manager', false],
    ]);
  });

  it('an answer it cannot read leaves every state unknown instead of guessing', async () => {
    const s = serviceCommands(fakeInventory(3).services);
    const short = await activeComponents(s, async () => ({ stdout: 'active\n' }), ALL);
    expect([...short.values()]).toEqual([undefined, undefined, undefined, undefined]);
    const failed = await activeComponents(
      s,
      async () => {
        throw new Error('connection reset');
      },
      ALL,
    );
    expect([...failed.values()]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('custom templates: each check’s exit status, its output swallowed, quoting kept', async () => {
    const s = serviceCommands(
      fakeInventoryWithUnits(
        { etcd: "it's up", 'kube-apiserver': 'down' },
        {
          services: {
            manager: 'custom',
            custom: {
              start: 'true',
              stop: 'true',
              kill: 'true',
              // prints noise and succeeds only for the unit named "it's up"
              isActive: 'echo noise; test {service} = "it\'s up"',
            },
          },
        },
      ).services,
    );
    const states = await activeComponents(s, async (c) => sh(c), ['etcd', 'kube-apiserver']);
    expect(Object.fromEntries(states)).toEqual({ etcd: true, 'kube-apiserver': false });
  });
});
