import { describe, expect, it } from 'vitest';
import { shellQuote } from './quote.js';
import { expandProxyCommand, parseJumpSpec, sshConfigFor, SshConfigValueError } from './ssh-config.js';

const CONFIG = `
Host m1 m1.alias
  HostName 198.18.54.11
  User admin
  Port 2222
  IdentityFile ~/.ssh/m1_key
  ProxyJump ops@bastion:2200

Host m2
  HostName %h.example.internal
  ProxyCommand aws ssm start-session --target %h --parameters portNumber=%p

Host bastion
  HostName 198.18.54.5
  User jump

Host bad
  Port abc

Host off
  ProxyCommand none

Host *
  User fallback
  Port 22
`;

describe('sshConfigFor', () => {
  it.each([
    [
      'm1',
      {
        hostName: '198.18.54.11',
        user: 'admin',
        port: 2222,
        identityFile: '~/.ssh/m1_key',
        proxyJump: { host: 'bastion', port: 2200, user: 'ops' },
      },
    ],
    ['m1.alias', { hostName: '198.18.54.11', user: 'admin', port: 2222 }],
    [
      'm2',
      {
        hostName: 'm2.example.internal',
        user: 'fallback',
        port: 22,
        proxyCommand: 'aws ssm start-session --target %h --parameters portNumber=%p',
      },
    ],
    ['off', { user: 'fallback', port: 22 }],
    ['unlisted', { user: 'fallback', port: 22 }],
  ])('%s: first value wins, Host * last', (host, expected) => {
    const got = sshConfigFor(CONFIG, host);
    expect(got).toMatchObject(expected);
    if (host === 'off') expect(got.proxyCommand).toBeUndefined();
  });

  it('a port that is not a number names the directive', () => {
    expect(() => sshConfigFor(CONFIG, 'bad')).toThrow(SshConfigValueError);
    expect(() => sshConfigFor(CONFIG, 'bad')).toThrow('Port abc: expected a port 1-65535');
  });

  it('an empty file says nothing', () => {
    expect(sshConfigFor('', 'x')).toEqual({});
  });
});

describe('parseJumpSpec', () => {
  it.each([
    ['b', { host: 'b' }],
    ['u@b', { host: 'b', user: 'u' }],
    ['u@b:2200', { host: 'b', port: 2200, user: 'u' }],
    ['[fd00::1]:22', { host: 'fd00::1', port: 22 }],
    ['a:1,b:2', { host: 'a', port: 1 }],
  ])('%s', (spec, expected) => expect(parseJumpSpec(spec)).toEqual(expected));

  it('rejects a port out of range', () => {
    expect(() => parseJumpSpec('b:70000')).toThrow('ProxyJump 70000');
  });
});

describe('expandProxyCommand', () => {
  const v = { host: 'h1', port: 2222, user: 'root', original: 'alias' };
  it.each([
    ['nc %h %p', 'nc h1 2222'],
    ['ssh -W %h:%p %r@jump', 'ssh -W h1:2222 root@jump'],
    ['echo %n 100%%', 'echo alias 100%'],
    ['keep %x', 'keep %x'],
  ])('%s', (cmd, expected) => expect(expandProxyCommand(cmd, v, shellQuote)).toBe(expected));

  it('quotes a value that could inject shell', () => {
    const evil = { ...v, host: 'h; rm -rf /' };
    expect(expandProxyCommand('nc %h %p', evil, shellQuote)).toBe("nc 'h; rm -rf /' 2222");
  });
});
