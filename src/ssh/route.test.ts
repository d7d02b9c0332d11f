import { describe, expect, it } from 'vitest';
import { resolveRoute } from './route.js';
import type { SshSettings } from './types.js';

const settings: SshSettings = {
  user: 'root',
  agent: false,
  knownHosts: '/k',
  strictHostKeyChecking: true,
  sudo: false,
  connectTimeoutMs: 1000,
  commandTimeoutS: 10,
  identityFile: '/inv/key',
};

const CONFIG = `
Host m1
  HostName 10.0.0.11
  User admin
  Port 2222
  IdentityFile /cfg/key
  ProxyJump jumpy
Host jumpy
  HostName 10.0.0.5
  User jumper
  Port 2200
  IdentityFile /cfg/jump_key
Host m3
  ProxyCommand nc %h %p
`;

describe('resolveRoute', () => {
  it('without a config file: the inventory alone', () => {
    expect(resolveRoute({ name: 'a', host: 'm1', port: 22 }, settings)).toEqual({
      host: 'm1',
      port: 22,
      user: 'root',
      identityFile: '/inv/key',
      via: { kind: 'direct' },
    });
  });

  it('the config file wins over the inventory ssh defaults; a ProxyJump alias is resolved too', () => {
    expect(resolveRoute({ name: 'a', host: 'm1', port: 22 }, settings, CONFIG)).toEqual({
      host: '10.0.0.11',
      port: 2222,
      user: 'admin',
      identityFile: '/cfg/key',
      via: {
        kind: 'jump',
        jump: { host: '10.0.0.5', port: 2200, user: 'jumper', identityFile: '/cfg/jump_key' },
      },
    });
  });

  it("the master's own inventory fields win over the config file", () => {
    const own = { port: 22, user: 'me', identityFile: '/own/key', proxyCommand: 'own %h' };
    expect(resolveRoute({ name: 'a', host: 'm1', port: 22, own }, settings, CONFIG)).toEqual({
      host: '10.0.0.11',
      port: 22,
      user: 'me',
      identityFile: '/own/key',
      via: { kind: 'proxy', command: 'own %h' },
    });
  });

  it('a global ssh.jumpHost wins over the config ProxyCommand; a per-master one over both', () => {
    const withJump = { ...settings, jumpHost: { host: 'global', port: 22 } };
    expect(resolveRoute({ name: 'c', host: 'm3', port: 22 }, withJump, CONFIG).via).toEqual({
      kind: 'jump',
      jump: { host: 'global', port: 22 },
    });
    const own = { jumpHost: { host: 'mine', port: 22 } };
    expect(resolveRoute({ name: 'c', host: 'm3', port: 22, own }, withJump, CONFIG).via).toEqual({
      kind: 'jump',
      jump: { host: 'mine', port: 22 },
    });
    expect(resolveRoute({ name: 'c', host: 'm3', port: 22 }, settings, CONFIG).via).toEqual({
      kind: 'proxy',
      command: 'nc %h %p',
    });
  });
});
