import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../test/fixtures/reports/build.js';
import { headline } from './headline.js';
import type { RunResult, Verdict } from './result.js';

const base = SCENARIOS['scheduler-failover']().result;
const v = (status: Verdict['status']): Verdict => ({
  slo: 's',
  metric: 'm',
  status,
  value: null,
  bound: '',
  message: '',
});

describe('headline: the worse of outcome and verdicts', () => {
  it.each([
    ['pass', [v('pass')], true, 'PASS'],
    ['pass', [v('pass'), v('unknown')], true, 'UNKNOWN'],
    ['fail', [v('pass'), v('unknown')], true, 'UNKNOWN'],
    ['fail', [v('fail'), v('unknown')], true, 'FAIL'],
    ['fail', [], true, 'FAIL'],
    ['not-steady', [], true, 'NOT STEADY'],
    ['error', [v('pass')], true, 'ERROR'],
    ['interrupted', [], true, 'INTERRUPTED'],
    ['pass', [v('pass')], false, 'RESTORE FAILED'],
    ['restore-failed', [], false, 'RESTORE FAILED'],
  ] as const)('%s with %j, restore ok %s → %s', (outcome, verdicts, ok, label) => {
    const r: RunResult = {
      ...base,
      outcome,
      verdicts: [...verdicts],
      restore: { ok, pending: ok ? [] : ['start kube-scheduler on master-2'] },
    };
    expect(headline(r).label).toBe(label);
  });
});
