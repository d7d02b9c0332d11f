import { describe, expect, it } from 'vitest';
import {
  SelectorError,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  pinnedName,
} from './selectors.js';

describe('field selectors', () => {
  it.each([
    ['metadata.name=kube-scheduler', 'kube-scheduler', 'kube-system', true],
    ['metadata.name==kube-scheduler', 'kube-controller-manager', 'kube-system', false],
    ['metadata.name!=kube-scheduler', 'kube-controller-manager', 'kube-system', true],
    ['metadata.name=a,metadata.namespace=default', 'a', 'kube-system', false],
    ['', 'anything', 'any', true],
  ])('%j on %s/%s → %s', (sel, name, ns, want) => {
    expect(matchesFields(parseFieldSelector(sel), name, ns)).toBe(want);
  });

  it('rejects unknown fields with the upstream message', () => {
    expect(() => parseFieldSelector('spec.holderIdentity=x')).toThrow(
      '"spec.holderIdentity" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(() => parseFieldSelector('garbage')).toThrow(SelectorError);
  });

  it('finds the pinned name', () => {
    expect(pinnedName(parseFieldSelector('metadata.name=x'))).toBe('x');
    expect(pinnedName(parseFieldSelector('metadata.name!=x'))).toBeUndefined();
  });
});

describe('label selectors', () => {
  const labels = { app: 'sched', tier: 'control-plane' };
  it.each([
    ['app=sched', true],
    ['app==sched', true],
    ['app!=sched', false],
    ['app in (a, sched)', true],
    ['app notin (a,sched)', false],
    ['tier', true],
    ['!tier', false],
    ['missing!=x', true],
    ['app=sched,tier in (control-plane),!missing', true],
    ['app=other', false],
  ])('%j → %s', (sel, want) => {
    expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
  });

  it('treats absent labels as empty', () => {
    expect(matchesLabels(parseLabelSelector('app'), undefined)).toBe(false);
    expect(matchesLabels(parseLabelSelector(''), undefined)).toBe(true);
  });

  it('rejects nonsense', () => {
    expect(() => parseLabelSelector('a b c')).toThrow(SelectorError);
  });
});
