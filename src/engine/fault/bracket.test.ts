import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { wrapCommand } from '../../ssh/client.js';
import { bracketCommand, parseBracket } from './bracket.js';

/** Runs the bracketed command in a real shell exactly as it is sent to a master (timeout, sh -c). */
function run(command: string, timeoutS = 30): { code: number | null; stdout: string } {
  const r = spawnSync('sh', ['-c', wrapCommand(bracketCommand(command), timeoutS, false)], {
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout };
}

describe('the master clock bracket around an inject command', () => {
  it.each([
    ['output with a newline, exit 0', 'echo hello', 0, 'hello\n'],
    ['output without a newline, exit 3', "printf 'no newline'; exit 3", 3, 'no newline'],
    ['no output', 'true', 0, ''],
    ['a failing command keeps its status', 'false', 1, ''],
  ])('%s', (_, command, code, stdout) => {
    const before = Date.now() / 1000;
    const r = run(command);
    const after = Date.now() / 1000;
    expect(r.code).toBe(code);
    const b = parseBracket(r.stdout);
    expect(b.stdout).toBe(stdout);
    expect(b.start).not.toBeNull();
    expect(b.end).not.toBeNull();
    // the shell's clock is this machine's: the bracket lies inside our own send and return
    expect(b.start!).toBeGreaterThanOrEqual(before - 0.001);
    expect(b.end!).toBeGreaterThanOrEqual(b.start!);
    expect(b.end!).toBeLessThanOrEqual(after + 0.001);
  });

  it('brackets the command: a sleep of 0.3 s lies between start and end', () => {
    const b = parseBracket(run('sleep 0.3').stdout);
    expect(b.end! - b.start!).toBeGreaterThanOrEqual(0.29);
  });

  it('a command killed before its end leaves only the start', () => {
    const r = run('sleep 5', 1);
    expect(r.code).toBe(137);
    const b = parseBracket(r.stdout);
    expect(b.start).not.toBeNull();
    expect(b.end).toBeNull();
  });

  it('output that is not bracketed is left as it is', () => {
    expect(parseBracket('plain\n')).toEqual({ start: null, end: null, stdout: 'plain\n' });
  });
});
