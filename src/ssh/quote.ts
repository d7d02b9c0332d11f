/**
 * POSIX shell quoting. Every value kha-drill puts into a remote command goes through
 * `shellQuote`, so a host, unit or path can never inject shell.
 */

/** Characters that never need quoting in POSIX sh (kept bare so plans stay readable). */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for sh: bare when it is made of safe characters only, otherwise in single
 * quotes, where nothing is special except `'` itself (written as `'\''`).
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell word cannot contain a NUL byte');
  if (value === '') return "''";
  if (SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each word and joins them with spaces: `shellJoin(['mv', a, b])`. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
