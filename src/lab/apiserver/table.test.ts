import { describe, expect, it } from 'vitest';
import type { Lease } from '../../kube/lease.js';
import { humanDuration, leaseRow, negotiateTable } from './table.js';

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  it.each([
    [-5_000, '<invalid>'],
    [-1_000, '0s'],
    [0, '0s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3600_000, '3h'],
    [3 * 3600_000 + 60_000, '3h1m'],
    [47 * 3600_000, '47h'],
    [50 * 3600_000, '2d2h'],
    [30 * 86400_000, '30d'],
    [(3 * 365 + 4) * 86400_000, '3y4d'],
    [10 * 365 * 86400_000, '10y'],
  ])('%d ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('negotiateTable', () => {
  it('honours kubectl get', () => {
    expect(
      negotiateTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).toEqual({ apiVersion: 'meta.k8s.io/v1', contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  });
  it.each([
    'application/json',
    'application/json, */*',
    '*/*',
    undefined,
    'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  ])('plain JSON for %j', (accept) => {
    expect(negotiateTable(accept)).toBeUndefined();
  });
});

describe('leaseRow', () => {
  const lease: Lease = {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    metadata: { name: 'kube-scheduler', namespace: 'kube-system', creationTimestamp: '2024-05-01T10:00:00Z' },
    spec: { holderIdentity: 'master-1_abc' },
  };
  it('NAME HOLDER AGE with partial metadata', () => {
    const row = leaseRow(lease, Date.parse('2024-05-01T10:05:00Z'), 'Metadata', 'meta.k8s.io/v1');
    expect(row.cells).toEqual(['kube-scheduler', 'master-1_abc', '5m']);
    expect(row.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: lease.metadata,
    });
  });
  it('empty holder, no object', () => {
    const row = leaseRow(
      { ...lease, spec: {} },
      Date.parse('2024-05-01T10:00:03Z'),
      'None',
      'meta.k8s.io/v1',
    );
    expect(row).toEqual({ cells: ['kube-scheduler', '', '3s'] });
  });
});
