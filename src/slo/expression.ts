/** The shape of a parsed SLO expression (grammar in parser.ts) and its error. */
import { KhaError } from '../errors.js';

export const COMPARE_OPS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

export const TIMING_IDENTIFIERS = ['leaseDuration', 'renewDeadline', 'retryPeriod'] as const;
export type TimingIdentifier = (typeof TIMING_IDENTIFIERS)[number];
/** The values identifiers stand for, in seconds (from the inventory's kubernetes.leaderElection). */
export type ArithEnv = Record<TimingIdentifier, number>;

export const AGGREGATES = ['max', 'min', 'avg', 'p'] as const;
export type Aggregate = { fn: 'max' | 'min' | 'avg' } | { fn: 'p'; percentile: number };

export interface Span {
  /** 0-based offset of the first character */
  start: number;
  /** 0-based offset after the last character */
  end: number;
}

export interface MetricRef {
  name: string;
  labels: Record<string, string>;
  aggregate?: Aggregate;
  nameSpan: Span;
  /** the span of each label name, for pointing at an unknown label */
  labelSpans: Record<string, Span>;
}

export type Arith =
  | { kind: 'number'; value: number; span: Span }
  | { kind: 'ident'; name: TimingIdentifier; span: Span }
  | { kind: 'neg'; operand: Arith; span: Span }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/'; left: Arith; right: Arith; span: Span };

export interface SloExpression {
  source: string;
  metric: MetricRef;
  op: CompareOp;
  rhs: Arith;
}

/** Deepest nesting of parentheses and unary minus in an expression (README "Formats"). */
export const MAX_EXPRESSION_DEPTH = 32;
/** Longest expression, in characters: also bounds the depth of a long `a + b + …` chain. */
export const MAX_EXPRESSION_LENGTH = 1000;

export class ExpressionError extends KhaError {
  /** 0-based offset into the expression */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super('E_EXPRESSION', message);
    this.name = 'ExpressionError';
    this.offset = offset;
  }
}
