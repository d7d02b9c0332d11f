/**
 * SLO and abort expressions, k6 style, parsed before anything runs:
 *
 *   expression := subject op arith
 *   subject    := metric | agg '(' metric ')'          agg := max | min | avg | p(<0-100>)
 *   metric     := name [ '{' label '=' value { ',' label '=' value } '}' ]
 *   op         := <  <=  >  >=  ==  !=
 *   arith      := numbers, durations (500ms, 2s, 1m → seconds), + - * /, parentheses, and the
 *                 inventory's leader-election timings in seconds: leaseDuration, renewDeadline,
 *                 retryPeriod
 *
 * e.g. `lease.takeover_s < 2.2 * retryPeriod + 1`, `p(95)(lease.takeover_s) < 18`,
 * `lease.split_brain{lease=kube-system/kube-scheduler} == 0`. Aggregates apply across
 * iterations (`--iterations N`); on one run they are the value itself.
 * Errors carry the 0-based offset into the expression so callers can point inside the string.
 */
import { closest } from '../text/suggest.js';
import { METRICS, METRIC_NAMES, isMetricName } from '../metrics/names.js';
import {
  COMPARE_OPS,
  ExpressionError,
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  TIMING_IDENTIFIERS,
  type Aggregate,
  type Arith,
  type CompareOp,
  type MetricRef,
  type SloExpression,
  type Span,
  type TimingIdentifier,
} from './expression.js';
import { tokenize, type Token } from './lexer.js';

class Parser {
  private pos = 0;
  /** open parentheses and unary minuses around the factor being parsed */
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.pos] ?? this.tokens[this.tokens.length - 1]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === text;
  }
  private expectPunct(text: string, what: string): Token {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== text)
      throw new ExpressionError(`${describe(t)} (expected ${what})`, t.start);
    return this.next();
  }

  parseExpression(): SloExpression {
    if (this.peek().kind === 'end') {
      throw new ExpressionError('empty expression (expected e.g. lease.takeover_s < 2.2 * retryPeriod)', 0);
    }
    const metric = this.parseSubject();
    const opTok = this.peek();
    if (opTok.kind !== 'op') {
      throw new ExpressionError(
        `${describe(opTok)} (expected a comparison: ${COMPARE_OPS.join(' ')})`,
        opTok.start,
      );
    }
    this.next();
    const rhs = this.parseArith();
    const end = this.peek();
    if (end.kind !== 'end') {
      throw new ExpressionError(`${describe(end)} (expected an operator + - * / or the end)`, end.start);
    }
    return { source: this.src, metric, op: opTok.text as CompareOp, rhs };
  }

  private parseSubject(): MetricRef {
    const t = this.peek();
    if (t.kind !== 'name') {
      throw new ExpressionError(`${describe(t)} (expected a metric name, e.g. lease.takeover_s)`, t.start);
    }
    const next = this.tokens[this.pos + 1];
    const isCall = next?.kind === 'punct' && next.text === '(';
    if (!isCall) return this.parseMetric();
    // an aggregate: max(m), min(m), avg(m), p(95)(m)
    this.next();
    let aggregate: Aggregate;
    if (t.text === 'p') {
      this.expectPunct('(', "'(' after p");
      const q = this.peek();
      if (q.kind !== 'number' || q.text.match(/[a-z]$/)) {
        throw new ExpressionError(
          `${describe(q)} (expected a percentile between 0 and 100, e.g. p(95))`,
          q.start,
        );
      }
      const percentile = q.value ?? NaN;
      if (!(percentile >= 0 && percentile <= 100)) {
        throw new ExpressionError(`percentile ${q.text} is out of range (expected 0 to 100)`, q.start);
      }
      this.next();
      this.expectPunct(')', "')' after the percentile");
      aggregate = { fn: 'p', percentile };
      this.expectPunct('(', "'(' and a metric, e.g. p(95)(lease.takeover_s)");
    } else if (t.text === 'max' || t.text === 'min' || t.text === 'avg') {
      aggregate = { fn: t.text };
      this.expectPunct('(', "'('");
    } else {
      const near = closest(t.text, ['max', 'min', 'avg', 'p']);
      throw new ExpressionError(
        `unknown aggregate '${t.text}' (${near ? `did you mean '${near}'?` : 'expected max, min, avg or p(N)'})`,
        t.start,
      );
    }
    const metric = this.parseMetric();
    this.expectPunct(')', "')' after the metric");
    return { ...metric, aggregate };
  }

  private parseMetric(): MetricRef {
    const t = this.next();
    if (t.kind !== 'name' || !t.text.includes('.')) {
      throw new ExpressionError(`${describe(t)} (expected a metric name, e.g. lease.takeover_s)`, t.start);
    }
    const labels: Record<string, string> = {};
    const labelSpans: Record<string, Span> = {};
    const block = this.peek();
    if (block.kind === 'labels') {
      this.next();
      for (const l of block.labels ?? []) {
        labels[l.key] = l.value;
        labelSpans[l.key] = { start: l.start, end: l.end };
      }
    }
    return { name: t.text, labels, labelSpans, nameSpan: { start: t.start, end: t.end } };
  }

  private parseArith(): Arith {
    let left = this.parseTerm();
    while (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next().text as '+' | '-';
      const right = this.parseTerm();
      left = { kind: 'binary', op, left, right, span: { start: left.span.start, end: right.span.end } };
    }
    return left;
  }

  private parseTerm(): Arith {
    let left = this.parseFactor();
    while (this.isPunct('*') || this.isPunct('/')) {
      const op = this.next().text as '*' | '/';
      const right = this.parseFactor();
      left = { kind: 'binary', op, left, right, span: { start: left.span.start, end: right.span.end } };
    }
    return left;
  }

  private parseFactor(): Arith {
    const t = this.peek();
    if (t.kind === 'punct' && (t.text === '-' || t.text === '(')) {
      if (this.depth >= MAX_EXPRESSION_DEPTH) throw tooDeep(t.start);
      this.depth++;
      try {
        return this.parseNested(t);
      } finally {
        this.depth--;
      }
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: t.value ?? NaN, span: { start: t.start, end: t.end } };
    }
    if (t.kind === 'name') {
      this.next();
      if ((TIMING_IDENTIFIERS as readonly string[]).includes(t.text)) {
        return { kind: 'ident', name: t.text as TimingIdentifier, span: { start: t.start, end: t.end } };
      }
      if (t.text.includes('.')) {
        throw new ExpressionError(
          `'${t.text}': a metric may only appear left of the comparison (expected a number or ${TIMING_IDENTIFIERS.join(', ')})`,
          t.start,
        );
      }
      const near = closest(t.text, TIMING_IDENTIFIERS);
      throw new ExpressionError(
        `unknown identifier '${t.text}' (${near ? `did you mean '${near}'?` : `expected a number or ${TIMING_IDENTIFIERS.join(', ')}`})`,
        t.start,
      );
    }
    throw new ExpressionError(
      `${describe(t)} (expected a number, a duration such as 2s, ${TIMING_IDENTIFIERS.join(', ')} or '(')`,
      t.start,
    );
  }

  private parseNested(t: Token): Arith {
    this.next();
    if (t.text === '-') {
      const operand = this.parseFactor();
      return { kind: 'neg', operand, span: { start: t.start, end: operand.span.end } };
    }
    const inner = this.parseArith();
    const close = this.expectPunct(')', "')'");
    return { ...inner, span: { start: t.start, end: close.end } };
  }
}

function tooDeep(offset: number): ExpressionError {
  return new ExpressionError(
    `nested too deeply (expected at most ${MAX_EXPRESSION_DEPTH} levels of parentheses and minus signs)`,
    offset,
  );
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'unexpected end of expression';
  return `unexpected '${t.text}'`;
}

/** Parses an expression; throws ExpressionError with the 0-based offset of the problem. */
export function parseExpression(src: string): SloExpression {
  // parentheses first: 10,000 of them are a depth problem, whatever the length
  for (let i = 0, open = 0; i < src.length; i++) {
    if (src[i] === ')') open--;
    else if (src[i] === '(' && ++open > MAX_EXPRESSION_DEPTH + 1) throw tooDeep(i);
  }
  if (src.length > MAX_EXPRESSION_LENGTH)
    throw new ExpressionError(
      `expression is ${src.length} characters long (expected at most ${MAX_EXPRESSION_LENGTH})`,
      MAX_EXPRESSION_LENGTH,
    );
  return new Parser(src, tokenize(src)).parseExpression();
}

/**
 * Vocabulary problems of a syntactically valid expression: an unknown metric (with "did you
 * mean") or a label that metric does not have. Offsets are 0-based into `expr.source`.
 */
export function checkVocabulary(expr: SloExpression): ExpressionError[] {
  const { name, labels, labelSpans, nameSpan } = expr.metric;
  if (!isMetricName(name)) {
    const near = closest(name, METRIC_NAMES);
    const hint = near ? `did you mean '${near}'?` : `expected one of: ${METRIC_NAMES.join(', ')}`;
    return [new ExpressionError(`unknown metric '${name}' (${hint})`, nameSpan.start)];
  }
  const allowed: readonly string[] = METRICS[name].labels;
  const problems: ExpressionError[] = [];
  for (const label of Object.keys(labels)) {
    if (allowed.includes(label)) continue;
    const near = closest(label, allowed);
    const hint = near
      ? `did you mean '${near}'?`
      : allowed.length
        ? `expected ${allowed.join(', ')}`
        : `${name} has no labels`;
    problems.push(new ExpressionError(`unknown label '${label}' (${hint})`, labelSpans[label]?.start ?? 0));
  }
  return problems;
}
