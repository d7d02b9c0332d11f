import { describe, expect, it } from 'vitest';
import {
  ExpressionError,
  aggregateValues,
  checkVocabulary,
  compare,
  evaluate,
  formatSubject,
  parseExpression,
  type ArithEnv,
} from './parse.js';

const env: ArithEnv = { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 };

describe('parseExpression + evaluate', () => {
  it.each([
    ['lease.takeover_s < 2.2 * retryPeriod + 1', 'lease.takeover_s', '<', 5.4],
    ['lease.takeover_s < leaseDuration + 2 * retryPeriod', 'lease.takeover_s', '<', 19],
    ['lease.split_brain == 0', 'lease.split_brain', '==', 0],
    ['apiserver.availability >= 0.99', 'apiserver.availability', '>=', 0.99],
    ['raft.elections != 2', 'raft.elections', '!=', 2],
    ['raft.reelection_s<=3', 'raft.reelection_s', '<=', 3],
    ['etcd.write_outage_s > (1 + 2) * 3 - 4 / 2', 'etcd.write_outage_s', '>', 7],
    ['lease.takeover_s < -(-5)', 'lease.takeover_s', '<', 5],
    ['lease.takeover_s < 500ms + 1m + 2s', 'lease.takeover_s', '<', 62.5],
    ['lease.takeover_s < 1e1', 'lease.takeover_s', '<', 10],
    ['p(95)(lease.takeover_s) < 18', 'p(95)(lease.takeover_s)', '<', 18],
    ['max(raft.reelection_s) < 3', 'max(raft.reelection_s)', '<', 3],
    [
      'avg(lease.takeover_s{lease=kube-system/kube-scheduler}) < renewDeadline',
      'avg(lease.takeover_s{lease=kube-system/kube-scheduler})',
      '<',
      10,
    ],
    [
      'lease.transitions{lease="kube-system/kube-scheduler"} == 1',
      'lease.transitions{lease=kube-system/kube-scheduler}',
      '==',
      1,
    ],
  ])('%s', (src, subject, op, rhs) => {
    const expr = parseExpression(src);
    expect(formatSubject(expr.metric)).toBe(subject);
    expect(expr.op).toBe(op);
    expect(evaluate(expr.rhs, env)).toBeCloseTo(rhs, 9);
    expect(checkVocabulary(expr)).toEqual([]);
  });

  it('keeps spans so callers can quote the bound', () => {
    const src = 'lease.takeover_s < 2.2 * retryPeriod + 1';
    const expr = parseExpression(src);
    expect(src.slice(expr.rhs.span.start, expr.rhs.span.end)).toBe('2.2 * retryPeriod + 1');
    expect(expr.metric.nameSpan).toEqual({ start: 0, end: 16 });
  });
});

describe('syntax errors carry the 0-based offset', () => {
  it.each([
    ['', 0, 'empty expression'],
    ['lease.takeover_s', 16, 'unexpected end of expression (expected a comparison'],
    ['lease.takeover_s = 1', 17, "'=' is not a comparison (expected ==)"],
    ['lease.takeover_s < 2 * * retryPeriod', 23, "unexpected '*'"],
    ['lease.takeover_s < (1 + 2', 25, "unexpected end of expression (expected ')')"],
    ['lease.takeover_s < 1 2', 21, "unexpected '2' (expected an operator"],
    [
      'lease.takeover_s < leaseDurration',
      19,
      "unknown identifier 'leaseDurration' (did you mean 'leaseDuration'?)",
    ],
    ['lease.takeover_s < raft.reelection_s', 19, 'a metric may only appear left of the comparison'],
    ['takeover < 1', 0, "unexpected 'takeover' (expected a metric name"],
    ['5 < lease.takeover_s', 0, "unexpected '5' (expected a metric name"],
    ['p(101)(lease.takeover_s) < 1', 2, 'percentile 101 is out of range'],
    ['mx(lease.takeover_s) < 1', 0, "unknown aggregate 'mx' (did you mean 'max'?)"],
    ['max(lease.takeover_s < 1', 21, "unexpected '<' (expected ')' after the metric)"],
    ['lease.takeover_s{lease} < 1', 22, "expected '=' after the label name"],
    ['lease.takeover_s{lease=a/b < 1', 27, "expected ',' or '}'"],
    ['lease.takeover_s < 3 $', 21, "unexpected '$'"],
  ])('%j', (src, offset, message) => {
    let caught: unknown;
    try {
      parseExpression(src);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    expect((caught as ExpressionError).message).toContain(message);
    expect((caught as ExpressionError).offset).toBe(offset);
  });
});

describe('checkVocabulary', () => {
  it.each([
    ['lease.takover_s < 1', 0, "unknown metric 'lease.takover_s' (did you mean 'lease.takeover_s'?)"],
    ['max(raft.elektions) < 1', 4, "unknown metric 'raft.elektions' (did you mean 'raft.elections'?)"],
    ['lease.takeover_s{leas=a/b} < 1', 17, "unknown label 'leas' (did you mean 'lease'?)"],
    ['raft.elections{lease=a/b} < 1', 15, "unknown label 'lease' (raft.elections has no labels)"],
  ])('%s', (src, offset, message) => {
    const [problem, ...rest] = checkVocabulary(parseExpression(src));
    expect(rest).toEqual([]);
    expect(problem?.message).toBe(message);
    expect(problem?.offset).toBe(offset);
  });
});

describe('compare and aggregateValues', () => {
  it.each([
    ['<', 1, 2, true],
    ['<', 2, 2, false],
    ['<=', 2, 2, true],
    ['>', 3, 2, true],
    ['>=', 1, 2, false],
    ['==', 0, 0, true],
    ['!=', 0, 0, false],
  ] as const)('%s %d %d', (op, l, r, want) => {
    expect(compare(op, l, r)).toBe(want);
  });

  it.each([
    [undefined, [3, 1, 2], 3],
    [{ fn: 'max' }, [3, 1, 2], 3],
    [{ fn: 'min' }, [3, 1, 2], 1],
    [{ fn: 'avg' }, [3, 1, 2], 2],
    [{ fn: 'p', percentile: 50 }, [1, 2, 3, 4], 2],
    [{ fn: 'p', percentile: 95 }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10],
    [{ fn: 'p', percentile: 0 }, [5, 4], 4],
    [{ fn: 'max' }, [], NaN],
  ] as const)('%j of %j', (agg, values, want) => {
    expect(aggregateValues(agg, values)).toBe(want);
  });
});
