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

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

type TokenKind = 'name' | 'number' | 'op' | 'punct' | 'labels' | 'end';
interface Label {
  key: string;
  value: string;
  start: number;
  end: number;
}
interface Token {
  kind: TokenKind;
  text: string;
  /** numbers: the value in seconds when a unit was given, else the plain value */
  value?: number;
  /** `{k=v,…}` after a metric name */
  labels?: Label[];
  start: number;
  end: number;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const NUMBER = /(\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?(ms|s|m)?(?![A-Za-z0-9_])/y;
const LABEL_KEY = /[A-Za-z_][A-Za-z0-9_]*/y;
const LABEL_VALUE = /[A-Za-z0-9._/:-]+/y;
const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60 } as const;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] ?? '';
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '==' || two === '!=') {
      tokens.push({ kind: 'op', text: two, start: i, end: i + 2 });
      i += 2;
      continue;
    }
    if (ch === '<' || ch === '>') {
      tokens.push({ kind: 'op', text: ch, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (ch === '=') throw new ExpressionError("'=' is not a comparison (expected ==)", i);
    if (ch === '{') {
      const tok = readLabels(src, i);
      tokens.push(tok);
      i = tok.end;
      continue;
    }
    if ('+-*/()'.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch, start: i, end: i + 1 });
      i++;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(src);
    if (num) {
      const unit = num[2] as keyof typeof UNIT_SECONDS | undefined;
      const base = Number(num[0].slice(0, num[0].length - (unit?.length ?? 0)));
      const value = unit ? Math.round(base * UNIT_SECONDS[unit] * 1e9) / 1e9 : base;
      tokens.push({ kind: 'number', text: num[0], value, start: i, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(src);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], start: i, end: i + name[0].length });
      i += name[0].length;
      continue;
    }
    if (/\d/.test(ch)) throw new ExpressionError(`bad number (expected e.g. 2, 0.99, 1e3 or 500ms)`, i);
    throw new ExpressionError(`unexpected '${ch}'`, i);
  }
  tokens.push({ kind: 'end', text: '', start: src.length, end: src.length });
  return tokens;
}

/** Reads `{key=value, key="value"}` starting at the `{`. */
function readLabels(src: string, open: number): Token {
  const labels: Label[] = [];
  let i = open + 1;
  const skip = (): void => {
    while (src[i] === ' ' || src[i] === '\t') i++;
  };
  for (;;) {
    skip();
    LABEL_KEY.lastIndex = i;
    const key = LABEL_KEY.exec(src);
    if (!key) throw new ExpressionError(`${unexpectedAt(src, i)} (expected a label name, e.g. lease)`, i);
    const keyStart = i;
    i += key[0].length;
    skip();
    if (src[i] !== '=' || src[i + 1] === '=') {
      throw new ExpressionError(`${unexpectedAt(src, i)} (expected '=' after the label name)`, i);
    }
    i++;
    skip();
    let value: string;
    if (src[i] === '"') {
      const close = src.indexOf('"', i + 1);
      if (close < 0) throw new ExpressionError('unterminated string (expected a closing ")', i);
      value = src.slice(i + 1, close);
      i = close + 1;
    } else {
      LABEL_VALUE.lastIndex = i;
      const m = LABEL_VALUE.exec(src);
      if (!m) {
        throw new ExpressionError(
          `${unexpectedAt(src, i)} (expected a label value, e.g. kube-system/kube-scheduler)`,
          i,
        );
      }
      value = m[0];
      i += m[0].length;
    }
    if (labels.some((l) => l.key === key[0]))
      throw new ExpressionError(`label '${key[0]}' given twice`, keyStart);
    labels.push({ key: key[0], value, start: keyStart, end: keyStart + key[0].length });
    skip();
    if (src[i] === ',') {
      i++;
      continue;
    }
    if (src[i] === '}')
      return { kind: 'labels', text: src.slice(open, i + 1), labels, start: open, end: i + 1 };
    throw new ExpressionError(`${unexpectedAt(src, i)} (expected ',' or '}')`, i);
  }
}

function unexpectedAt(src: string, i: number): string {
  return i >= src.length ? 'unexpected end of expression' : `unexpected '${src[i]}'`;
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

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

/** Applies an aggregate to per-iteration values (nearest-rank percentiles); NaN when empty. */
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
    case 'p': {
      const rank = Math.max(1, Math.ceil((agg.percentile / 100) * sorted.length));
      return sorted[rank - 1]!;
    }
  }
}

/** The canonical text of an expression's subject, e.g. `p(95)(lease.takeover_s{lease=a/b})`. */
export function formatSubject(m: MetricRef): string {
  const labels = Object.entries(m.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const base = labels ? `${m.name}{${labels}}` : m.name;
  if (!m.aggregate) return base;
  return m.aggregate.fn === 'p' ? `p(${m.aggregate.percentile})(${base})` : `${m.aggregate.fn}(${base})`;
}
