import { describe, expect, it } from 'vitest';
import { PatchError, applyPatch, jsonPatch, mergePatch, patchTypeOf } from './patch.js';

describe('patches', () => {
  const lease = {
    metadata: { name: 'a', labels: { x: '1', y: '2' } },
    spec: { holderIdentity: 'h', leaseTransitions: 1 },
  };

  it('merge patch sets, replaces and deletes with null', () => {
    expect(
      mergePatch(lease, { metadata: { labels: { x: null, z: '3' } }, spec: { holderIdentity: 'g' } }),
    ).toEqual({
      metadata: { name: 'a', labels: { y: '2', z: '3' } },
      spec: { holderIdentity: 'g', leaseTransitions: 1 },
    });
  });

  it('strategic merge drops directives', () => {
    expect(
      applyPatch('strategic', lease, {
        $retainKeys: ['spec'],
        spec: { leaseTransitions: 2, $patch: 'merge' },
      }),
    ).toEqual({
      ...lease,
      spec: { holderIdentity: 'h', leaseTransitions: 2 },
    });
  });

  it('json patch add/replace/remove/test/copy/move', () => {
    const out = jsonPatch(lease, [
      { op: 'test', path: '/spec/holderIdentity', value: 'h' },
      { op: 'replace', path: '/spec/holderIdentity', value: 'g' },
      { op: 'add', path: '/metadata/annotations', value: { 'a/b': 'c' } },
      { op: 'remove', path: '/metadata/labels/x' },
      { op: 'copy', from: '/metadata/annotations/a~1b', path: '/metadata/labels/c' },
      { op: 'move', from: '/metadata/labels/y', path: '/metadata/labels/w' },
    ]);
    expect(out).toEqual({
      metadata: { name: 'a', labels: { c: 'c', w: '2' }, annotations: { 'a/b': 'c' } },
      spec: { holderIdentity: 'g', leaseTransitions: 1 },
    });
    expect(lease.spec.holderIdentity).toBe('h');
  });

  it('json patch failures', () => {
    expect(() => jsonPatch(lease, [{ op: 'test', path: '/spec/holderIdentity', value: 'nope' }])).toThrow(
      PatchError,
    );
    expect(() => jsonPatch(lease, [{ op: 'remove', path: '/spec/nothing' }])).toThrow(PatchError);
    expect(() => jsonPatch(lease, { op: 'add' })).toThrow(PatchError);
  });

  it.each([
    ['application/merge-patch+json', 'merge'],
    ['application/strategic-merge-patch+json; charset=utf-8', 'strategic'],
    ['application/json-patch+json', 'json'],
    ['application/apply-patch+yaml', undefined],
    [undefined, undefined],
  ])('content type %s → %s', (ct, want) => {
    expect(patchTypeOf(ct)).toBe(want);
  });
});
