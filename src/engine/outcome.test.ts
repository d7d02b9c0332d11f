import { describe, expect, it } from 'vitest';
import type { Verdict } from '../report/result.js';
import { decideOutcome, type OutcomeInput } from './outcome.js';

const base: OutcomeInput = {
  restoreOk: true,
  restorePending: [],
  interruptedBy: null,
  abortMessage: null,
  errors: [],
  verdicts: [],
  sloCount: 0,
  untilMet: true,
  untilText: 'a new holder',
  observeTimeout: '60s',
};
const v = (status: Verdict['status']): Verdict => ({
  slo: 'x < 1',
  metric: 'x',
  status,
  value: 0,
  bound: '< 1',
  message: '',
});

describe('decideOutcome', () => {
  it.each([
    ['every SLO held', {}, 'pass', 0],
    ['an SLO failed', { verdicts: [v('pass'), v('fail')], sloCount: 2 }, 'fail', 1],
    ['an SLO unknown', { verdicts: [v('unknown')], sloCount: 1 }, 'fail', 1],
    ['no SLO and the condition never held', { untilMet: false }, 'fail', 1],
    ['an abort fired', { abortMessage: 'boom' }, 'fail', 1],
    ['an SSH error during the drill', { errors: ['ssh broke'] }, 'error', 4],
    ['interrupted', { interruptedBy: 'SIGINT', verdicts: [v('pass')] }, 'interrupted', 4],
    [
      'a target could not be resolved, nothing injected',
      { notInjected: 'Lease x has no holder' },
      'not-steady',
      3,
    ],
    [
      'restore failed, even when interrupted',
      { restoreOk: false, interruptedBy: 'SIGTERM', restorePending: ['start etcd'] },
      'restore-failed',
      5,
    ],
    [
      'stopped before injecting',
      {
        stoppedBefore: { outcome: 'not-steady' as const, exitCode: 3, message: 'steady state not met\nmore' },
      },
      'not-steady',
      3,
    ],
  ] as [string, Partial<OutcomeInput>, string, number][])(
    '%s → %s, exit %i',
    (_n, over, outcome, exitCode) => {
      expect(decideOutcome({ ...base, ...over })).toMatchObject({ outcome, exitCode });
    },
  );

  it('puts RESTORE FAILED first in the summary', () => {
    expect(decideOutcome({ ...base, restoreOk: false, restorePending: ['start etcd on m1'] }).summary).toBe(
      'RESTORE FAILED: the cluster may be degraded: start etcd on m1',
    );
  });
});
