/** Evaluating a parsed expression: the arithmetic right-hand side, the comparison, aggregates. */
import { percentile } from '../text/percentile.js';
import type { Aggregate, Arith, ArithEnv, CompareOp } from './expression.js';

/** Evaluates the arithmetic right-hand side in seconds (or plain numbers). */
export function evaluate(ast: Arith, env: ArithEnv): number {
  switch (ast.kind) {
    case 'number':
      return ast.value;
    case 'ident':
      return env[ast.name];
    case 'neg':
      return -evaluate(ast.operand, env);
    case 'binary': {
      const l = evaluate(ast.left, env);
      const r = evaluate(ast.right, env);
      switch (ast.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          return l / r;
      }
    }
  }
}

export function compare(op: CompareOp, left: number, right: number): boolean {
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
}

/** Applies an aggregate to per-iteration values (nearest-rank percentiles, text/percentile.ts); NaN when empty. */
export function aggregateValues(agg: Aggregate | undefined, values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  switch (agg?.fn) {
    case undefined:
    case 'max':
      return sorted[sorted.length - 1]!;
    case 'min':
      return sorted[0]!;
    case 'avg':
      return sorted.reduce((s, v) => s + v, 0) / sorted.length;
    case 'p':
      return percentile(sorted, agg.percentile);
  }
}
