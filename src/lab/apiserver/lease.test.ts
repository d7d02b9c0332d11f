import { describe, expect, it } from 'vitest';
import {
  decodeFromStorage,
  decodeLease,
  encodeForStorage,
  parseStorageKey,
  prepareForCreate,
  prepareForUpdate,
  validateLease,
} from './lease.js';
import { StatusError } from './status.js';

describe('decodeLease', () => {
  it('keeps Lease fields, drops unknown ones, normalises MicroTime', () => {
    const l = decodeLease(
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'a', labels: { x: 'y' }, managedFields: [{}], extra: 1 },
        spec: {
          holderIdentity: 'h',
          renewTime: '2024-05-01T10:00:00.123Z',
          bogus: true,
          leaseDurationSeconds: 15,
        },
      },
      'kube-system',
    );
    expect(l).toEqual({
      kind: 'Lease',
      apiVersion: 'coordination.k8s.io/v1',
      metadata: { name: 'a', namespace: 'kube-system', labels: { x: 'y' } },
      spec: { holderIdentity: 'h', leaseDurationSeconds: 15, renewTime: '2024-05-01T10:00:00.123000Z' },
    });
  });

  it.each([
    [{ metadata: { name: 'a', namespace: 'default' } }, 'does not match the namespace'],
    [{ spec: { renewTime: 'soon' } }, 'cannot be handled as a Lease: parsing time'],
    [{ spec: { leaseDurationSeconds: '15' } }, 'cannot unmarshal string'],
    [{ kind: 'Pod' }, 'does not match'],
    ['text', 'cannot be handled as a Lease'],
  ])('400 for %j', (body, message) => {
    try {
      decodeLease(body, 'kube-system');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StatusError);
      expect((e as StatusError).status.code).toBe(400);
      expect((e as StatusError).status.message).toContain(message);
    }
  });
});

describe('validateLease', () => {
  const base = decodeLease({ metadata: { name: 'ok' } }, 'default');
  it('accepts a plain lease', () => {
    expect(validateLease(base)).toEqual([]);
  });
  it('finds bad names and numbers', () => {
    const bad = {
      ...base,
      metadata: { ...base.metadata, name: 'Bad_Name' },
      spec: { leaseDurationSeconds: 0, leaseTransitions: -1 },
    };
    expect(validateLease(bad).map((e) => e.field)).toEqual([
      'metadata.name',
      'spec.leaseDurationSeconds',
      'spec.leaseTransitions',
    ]);
    expect(validateLease({ ...base, metadata: { ...base.metadata, name: '' } })[0]).toMatchObject({
      detail: 'name or generateName is required',
    });
  });
});

describe('server-set fields and storage', () => {
  const now = Date.parse('2024-05-01T10:00:00.789Z');
  it('create sets uid and whole-second creationTimestamp, generateName gets a suffix', () => {
    const l = prepareForCreate(
      decodeLease({ metadata: { generateName: 'x-' } }, 'default'),
      now,
      () => 'abcde',
    );
    expect(l.metadata.name).toBe('x-abcde');
    expect(l.metadata.creationTimestamp).toBe('2024-05-01T10:00:00Z');
    expect(l.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  });
  it('update keeps identity fields', () => {
    const old = prepareForCreate(decodeLease({ metadata: { name: 'a' } }, 'default'), now);
    const next = prepareForUpdate(
      decodeLease({ metadata: { name: 'a', uid: 'forged', resourceVersion: '7' } }, 'default'),
      old,
    );
    expect(next.metadata.uid).toBe(old.metadata.uid);
    expect(next.metadata.creationTimestamp).toBe(old.metadata.creationTimestamp);
  });
  it('stores without resourceVersion and reads it from the mod revision', () => {
    const l = prepareForCreate(
      decodeLease(
        { metadata: { name: 'a', resourceVersion: '3' }, spec: { holderIdentity: 'h' } },
        'default',
      ),
      now,
    );
    const stored = encodeForStorage(l);
    expect(stored).not.toContain('resourceVersion');
    expect(decodeFromStorage(stored, '42').metadata.resourceVersion).toBe('42');
    expect(parseStorageKey('/registry/leases/kube-system/kube-scheduler')).toEqual({
      namespace: 'kube-system',
      name: 'kube-scheduler',
    });
    expect(parseStorageKey('/registry/pods/x')).toBeUndefined();
  });
});
