import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, wrapCommand } from './client.js';

describe('wrapCommand', () => {
  it('bounds the command with a remote timeout that kills the whole command', () => {
    expect(wrapCommand('systemctl stop kube-scheduler', 60, false)).toBe(
      "timeout -s KILL 60 sh -c 'systemctl stop kube-scheduler'",
    );
  });

  it('rounds the bound up to whole seconds, at least 1', () => {
    expect(wrapCommand('true', 0.2, false)).toBe('timeout -s KILL 1 sh -c true');
    expect(wrapCommand('true', 2.5, false)).toBe('timeout -s KILL 3 sh -c true');
  });

  it('prefixes sudo -n (never prompts) when the inventory says sudo', () => {
    expect(wrapCommand('id -u', 10, true)).toBe("sudo -n timeout -s KILL 10 sh -c 'id -u'");
  });

  it('keeps a command with quotes intact through sh -c', () => {
    const cmd = `echo "it's" '$(x)'`;
    const out = execFileSync('sh', ['-c', wrapCommand(cmd, 5, false)], { encoding: 'utf8' });
    expect(out).toBe("it's $(x)\n");
  });
});

describe('fingerprint', () => {
  it('matches ssh-keygen -l', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kha-fp-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const b64 = readFileSync(join(dir, 'k.pub'), 'utf8').split(' ')[1] as string;
    const expected = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')], { encoding: 'utf8' }).split(
      ' ',
    )[1];
    expect(fingerprint(Buffer.from(b64, 'base64'))).toBe(expected);
  });
});
