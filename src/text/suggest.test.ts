import { describe, expect, it } from 'vitest';
import { closest, editDistance, suggestion } from './suggest.js';

describe('editDistance', () => {
  it.each([
    ['host', 'host', 0],
    ['hots', 'host', 1],
    ['hst', 'host', 1],
    ['hostt', 'host', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('%s ~ %s = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe('closest / suggestion', () => {
  const actions = ['ssh', 'stopService', 'startService', 'restartService', 'killService', 'wait', 'waitFor'];
  it.each([
    ['stopServce', 'stopService'],
    ['stopservice', 'stopService'],
    ['waitfor', 'waitFor'],
    ['reboot', undefined],
    ['x', undefined],
  ])('%s → %s', (input, want) => {
    expect(closest(input, actions)).toBe(want);
  });

  it('falls back to the list of allowed values', () => {
    expect(suggestion('reboot', ['a', 'b'])).toBe('expected one of: a, b');
    expect(suggestion('hots', ['host', 'port'])).toBe("did you mean 'host'?");
  });
});
