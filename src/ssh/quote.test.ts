import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from './quote.js';

/** What sh actually receives as one argument after parsing the quoted word. */
function roundTrip(value: string): string {
  return execFileSync('sh', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' });
}

describe('shellQuote', () => {
  it.each([
    ['kube-scheduler', 'kube-scheduler'],
    ['127.0.10.1', '127.0.10.1'],
    ['/etc/kubernetes/manifests/etcd.yaml', '/etc/kubernetes/manifests/etcd.yaml'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
  ])('quotes %j as %s', (value, expected) => {
    expect(shellQuote(value)).toBe(expected);
  });

  it.each([
    '$(touch /tmp/kha-pwned)',
    '`touch /tmp/kha-pwned`',
    "'; touch /tmp/kha-pwned; echo '",
    '"; touch /tmp/kha-pwned; echo "',
    'a\ntouch /tmp/kha-pwned',
    'a\r\nb',
    '$HOME ${PATH} $((1+1))',
    'x; rm -rf / #',
    '* ? [a] ~ & | < > ( ) { } \\ !',
    "''''",
    '\\\'"`$',
    'ünïcødé 🚀',
  ])('passes %j through sh unchanged and inert', (value) => {
    expect(roundTrip(value)).toBe(value);
  });

  it('refuses a NUL byte', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('joins words', () => {
    expect(shellJoin(['mv', '/a b', "/c'd"])).toBe("mv '/a b' '/c'\\''d'");
  });
});
