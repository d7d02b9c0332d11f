import { describe, expect, it } from 'vitest';
import { leasePath, masterOfHolder } from './lease.js';

describe('leasePath', () => {
  it.each([
    [undefined, undefined, '/apis/coordination.k8s.io/v1/leases'],
    ['kube-system', undefined, '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases'],
    [
      'kube-system',
      'kube-scheduler',
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler',
    ],
    ['a b', 'x/y', '/apis/coordination.k8s.io/v1/namespaces/a%20b/leases/x%2Fy'],
  ])('%s %s → %s', (namespace, name, path) => expect(leasePath(namespace, name)).toBe(path));
});

describe('masterOfHolder', () => {
  const masters = [
    { name: 'master-1', nodeName: 'node-1' },
    { name: 'master-10', nodeName: 'node-10' },
  ];
  it.each([
    ['node-1_abc', 'master-1'],
    ['node-10_abc', 'master-10'],
    ['node-1', null],
    ['node-2_abc', null],
    ['', null],
    [null, null],
    [undefined, null],
  ])('%j → %j', (holder, master) => expect(masterOfHolder(holder, masters)).toBe(master));
});
