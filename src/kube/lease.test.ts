import { describe, expect, it } from 'vitest';
import { holderHost, leasePath, masterOfHolder, sameMachine } from './lease.js';

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

describe('holderHost and sameMachine', () => {
  it.each([
    ['li-master-1_5f1c2d0e-9b7a-4c1e-8f00-1234567890ab', 'li-master-1'],
    ['host_with_underscores_uuid', 'host_with_underscores'],
    ['nouuid', null],
    ['', null],
    [null, null],
  ])('holderHost(%j) is %j', (holder, host) => expect(holderHost(holder)).toBe(host));

  const at = (holder: string | null, master: string | null = null) => ({ holder, master });
  it.each([
    [at('m-1_a', 'm1'), at('m-1_b', 'm1'), true],
    [at('m-1_a', 'm1'), at('m-2_b', 'm2'), false],
    // one of them unknown to the inventory: not the same master
    [at('m-1_a', 'm1'), at('m-1_b'), false],
    [at('x_a'), at('x_b'), true],
    [at('x_a'), at('y_a'), false],
    [at(null), at('x_a'), false],
  ])('sameMachine(%j, %j) is %j', (a, b, same) => expect(sameMachine(a, b)).toBe(same));
});
