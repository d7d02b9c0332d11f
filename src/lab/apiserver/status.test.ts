import { describe, expect, it } from 'vitest';
import {
  alreadyExists,
  conflict,
  expired,
  invalid,
  namespaceNotFound,
  notFound,
  storageError,
} from './status.js';

describe('Status builders', () => {
  it('NotFound in the upstream shape and field order', () => {
    expect(JSON.stringify(notFound('x'))).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io \\"x\\" not found","reason":"NotFound","details":{"name":"x","group":"coordination.k8s.io","kind":"leases"},"code":404}',
    );
  });

  it.each([
    [alreadyExists('a'), 409, 'AlreadyExists', 'leases.coordination.k8s.io "a" already exists'],
    [
      conflict('a'),
      409,
      'Conflict',
      'Operation cannot be fulfilled on leases.coordination.k8s.io "a": the object has been modified; please apply your changes to the latest version and try again',
    ],
    [namespaceNotFound('nope'), 404, 'NotFound', 'namespaces "nope" not found'],
    [expired('5', '24'), 410, 'Expired', 'too old resource version: 5 (24)'],
    [
      storageError('context deadline exceeded', true),
      504,
      'Timeout',
      'Timeout: request did not complete within requested timeout - context deadline exceeded',
    ],
  ])('%#: code, reason, message', (status, code, reason, message) => {
    expect(status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code,
      reason,
      message,
    });
  });

  it('Invalid lists each field and names the Kind', () => {
    const s = invalid('kube-scheduler', [
      { field: 'metadata.resourceVersion', value: '0x0', detail: 'must be specified for an update' },
    ]);
    expect(s.code).toBe(422);
    expect(s.message).toBe(
      'Lease.coordination.k8s.io "kube-scheduler" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
    expect(s.details).toEqual({
      name: 'kube-scheduler',
      group: 'coordination.k8s.io',
      kind: 'Lease',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0x0: must be specified for an update',
          field: 'metadata.resourceVersion',
        },
      ],
    });
    const two = invalid('', [
      { field: 'metadata.name', detail: 'name or generateName is required' },
      { field: 'spec.leaseDurationSeconds', value: '0', detail: 'must be greater than 0' },
    ]);
    expect(two.message).toBe(
      'Lease.coordination.k8s.io "" is invalid: [metadata.name: Required value: name or generateName is required, spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0]',
    );
  });
});
