/** Tokens of an SLO expression: names, numbers with units, operators and `{label=value}` blocks. */
import { ExpressionError } from './expression.js';

type TokenKind = 'name' | 'number' | 'op' | 'punct' | 'labels' | 'end';
interface Label {
  key: string;
  value: string;
  start: number;
  end: number;
}
export interface Token {
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

export function tokenize(src: string): Token[] {
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
