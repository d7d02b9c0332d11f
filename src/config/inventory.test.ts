import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import {
  expandHome,
  findInventoryPath,
  leaderElectionSeconds,
  requireInventoryPath,
  resolveInventory,
} from './inventory.js';
import { Inventory } from './schema.js';

const base = Inventory.parse({
  apiVersion: 'kha-drill/v1',
  kind: 'Inventory',
  metadata: { name: 'c' },
  masters: [{ name: 'm', host: 'h', nodeName: 'n', etcd: 'https://h:2379', apiserver: 'https://h:6443' }],
  ssh: { identityFile: '~/.ssh/id', knownHosts: 'known_hosts' },
  kubernetes: {
    loadBalancer: 'https://h:6443',
    leaderElection: { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '500ms' },
  },
  services: { manager: 'systemd' },
});

describe('expandHome', () => {
  it.each([
    ['~', '/home/u'],
    ['~/x/y', '/home/u/x/y'],
    ['~other/x', '~other/x'],
    ['/abs', '/abs'],
    ['rel', 'rel'],
  ])('%s → %s', (p, want) => {
    expect(expandHome(p, { HOME: '/home/u' })).toBe(want);
  });
});

describe('resolveInventory', () => {
  it('expands ~, takes relative paths from the inventory directory, and applies env fallbacks', () => {
    const env = {
      HOME: '/home/u',
      ETCDCTL_CACERT: '~/ca.crt',
      ETCDCTL_CERT: '/etc/c.crt',
      ETCDCTL_KEY: 'k.key',
      KUBECONFIG: `/k/one${path.delimiter}/k/two`,
    };
    const r = resolveInventory(base, env, '/inv');
    expect(r.ssh.identityFile).toBe('/home/u/.ssh/id');
    expect(r.ssh.knownHosts).toBe('/inv/known_hosts');
    expect(r.etcd.tls).toEqual({ ca: '/home/u/ca.crt', cert: '/etc/c.crt', key: '/inv/k.key' });
    // KUBECONFIG is left to the Kubernetes client, which merges every file of it as kubectl does
    expect(r.kubernetes.kubeconfig).toBeUndefined();
    expect(
      resolveInventory({ ...base, kubernetes: { ...base.kubernetes, kubeconfig: '~/kc' } }, env, '/inv')
        .kubernetes.kubeconfig,
    ).toBe('/home/u/kc');
  });

  it('prefers the file over the environment, and leaves an unset kubeconfig unset', () => {
    const inv = { ...base, etcd: { tls: { ca: '/file/ca' } } };
    const r = resolveInventory(inv, { HOME: '/home/u', ETCDCTL_CACERT: '/env/ca' }, '/inv');
    expect(r.etcd.tls).toEqual({ ca: '/file/ca' });
    expect(r.kubernetes.kubeconfig).toBeUndefined();
  });
});

describe('leaderElectionSeconds', () => {
  it('converts the timings to seconds', () => {
    expect(leaderElectionSeconds(base)).toEqual({ leaseDuration: 4, renewDeadline: 3, retryPeriod: 0.5 });
  });
});

describe('findInventoryPath: -i, then KHA_INVENTORY, then ./inventory.yaml', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-inv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('follows the order', () => {
    expect(findInventoryPath({ cwd: dir, env: { KHA_INVENTORY: 'env.yaml' } }, 'flag.yaml')).toMatchObject({
      path: path.join(dir, 'flag.yaml'),
      source: 'flag',
    });
    expect(findInventoryPath({ cwd: dir, env: { KHA_INVENTORY: '/x/env.yaml' } })).toMatchObject({
      path: '/x/env.yaml',
      source: 'env',
    });
    expect(findInventoryPath({ cwd: dir, env: {} })).toBeUndefined();
    writeFileSync(path.join(dir, 'inventory.yaml'), '');
    expect(findInventoryPath({ cwd: dir, env: {} })).toMatchObject({
      path: path.join(dir, 'inventory.yaml'),
      source: 'cwd',
    });
  });

  it('requireInventoryPath says how to provide one', () => {
    expect(() => requireInventoryPath({ cwd: path.join(dir, 'none'), env: {} })).toThrow(UsageError);
  });
});
