/**
 * The public door of SLO and abort expressions (k6 style, e.g. `p(95)(lease.takeover_s) < 18`):
 * the shape and its error (expression.ts), the lexer (lexer.ts), the parser and vocabulary check
 * (parser.ts, which has the grammar), evaluation (evaluate-expr.ts) and the canonical text
 * (format.ts). Import from here.
 */
export {
  AGGREGATES,
  COMPARE_OPS,
  ExpressionError,
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  TIMING_IDENTIFIERS,
  type Aggregate,
  type Arith,
  type ArithEnv,
  type CompareOp,
  type MetricRef,
  type SloExpression,
  type Span,
  type TimingIdentifier,
} from './expression.js';
export { checkVocabulary, parseExpression } from './parser.js';
export { aggregateValues, compare, evaluate } from './evaluate-expr.js';
export { formatSubject } from './format.js';
