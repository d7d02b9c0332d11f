/**
 * The SSH layer against a real OpenSSH server of its own (not the lab): host key checking,
 * command timeouts that really stop the remote command, error details. Needs root (sshd).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HostKeyError,
  RemoteCommandError,
  SshConnection,
  SshError,
  SshPool,
  type SshSettings,
} from '../../src/ssh/index.js';

const HOST = process.env.KHA_TEST_SSHD_IP ?? '127.0.10.231';
const PORT = 2231;
let dir: string;
let sshd: ChildProcess | undefined;
let settings: SshSettings;
const endpoint = { name: 'test-master', host: HOST, port: PORT };
const senv = () => ({ env: {}, cwd: '/' });

function keygen(file: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
}

async function waitForPort(): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(PORT, HOST, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('sshd did not start');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kha-sshd-'));
  mkdirSync('/run/sshd', { recursive: true });
  const hostKey = keygen(join(dir, 'host'));
  writeFileSync(join(dir, 'authorized_keys'), keygen(join(dir, 'id')) + '\n');
  keygen(join(dir, 'other'));
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `ListenAddress ${HOST}`,
      `Port ${PORT}`,
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'SetEnv KHA_TEST_SESSION=yes',
    ].join('\n') + '\n',
  );
  writeFileSync(join(dir, 'known_hosts'), `[${HOST}]:${PORT} ${hostKey}\n`);
  writeFileSync(
    join(dir, 'wrong_known_hosts'),
    `[${HOST}]:${PORT} ${readFileSync(join(dir, 'other.pub'), 'utf8').trim()}\n`,
  );
  sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
  await waitForPort();
  settings = {
    user: 'root',
    identityFile: join(dir, 'id'),
    agent: false,
    knownHosts: join(dir, 'known_hosts'),
    strictHostKeyChecking: true,
    sudo: false,
    connectTimeoutMs: 5000,
    commandTimeoutS: 10,
  };
});

afterAll(() => {
  if (sshd?.pid) process.kill(sshd.pid, 'SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SshConnection on a real sshd', () => {
  it('runs commands and reports status, stdout and stderr', async () => {
    const c = await SshConnection.connect(endpoint, settings, senv());
    try {
      const res = await c.exec("echo $KHA_TEST_SESSION; echo 'oops' >&2; exit 3");
      expect(res).toMatchObject({ code: 3, stdout: 'yes', stderr: 'oops', timedOut: false });
      const err = await c.run("echo 'it failed' >&2; exit 7").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteCommandError);
      expect(String((err as Error).message)).toMatch(/test-master .*exit 7.*exited 7: it failed/);
      expect((err as RemoteCommandError).details).toMatchObject({ exitCode: 7, master: 'test-master' });
    } finally {
      c.close();
    }
  });

  it('really stops a command that outlives its timeout', async () => {
    const c = await SshConnection.connect(endpoint, settings, senv());
    try {
      const marker = `kha-timeout-${process.pid}`;
      const started = Date.now();
      const res = await c.exec(`sleep 30 # ${marker}`, { timeoutS: 1 });
      expect(res.timedOut).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
      // [s]leep: the pattern does not match the checking command's own line
      const left = await c.exec(`pgrep -af '[s]leep 30 # ${marker}' || true`);
      expect(left.stdout).toBe('');
    } finally {
      c.close();
    }
  });

  it('refuses an unknown host, naming the host and the known_hosts file', async () => {
    const knownHosts = join(dir, 'empty_known_hosts');
    writeFileSync(knownHosts, '');
    const err = await SshConnection.connect(endpoint, { ...settings, knownHosts }, senv()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as Error).message).toContain('test-master');
    expect((err as Error).message).toContain(knownHosts);
    expect((err as Error).message).toMatch(/unknown/);
  });

  it('refuses loudly a changed host key, even without strict checking', async () => {
    const knownHosts = join(dir, 'wrong_known_hosts');
    for (const strictHostKeyChecking of [true, false]) {
      const err = await SshConnection.connect(
        endpoint,
        { ...settings, knownHosts, strictHostKeyChecking },
        senv(),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyError);
      expect((err as Error).message).toMatch(/HOST KEY CHANGED for test-master/);
    }
  });

  it('names the host when nothing listens', async () => {
    const err = await SshConnection.connect({ ...endpoint, port: PORT + 1 }, settings, senv()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SshError);
    expect((err as Error).message).toMatch(/test-master .*connection refused/);
  });

  it('survives a dropped connection and reconnects through the pool', async () => {
    const warnings: string[] = [];
    const pool = new SshPool(settings, { ...senv(), warn: (m) => warnings.push(m) });
    try {
      const first = await pool.get(endpoint);
      // kill the sshd process serving this session: the TCP connection dies under us
      await first.exec('kill -9 $(ps -o ppid= -p $PPID)').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      const second = await pool.get(endpoint);
      expect(second).not.toBe(first);
      expect((await second.exec('echo again')).stdout).toBe('again');
    } finally {
      await pool.closeAll();
    }
  });

  it('goes through a jump host (forwardOut + sock)', async () => {
    const c = await SshConnection.connect(
      endpoint,
      { ...settings, jumpHost: { host: HOST, port: PORT } },
      senv(),
    );
    try {
      expect((await c.exec('echo $KHA_TEST_SESSION')).stdout).toBe('yes');
    } finally {
      c.close();
    }
  });

  it('uses the ssh-agent for an encrypted identity file; without agent or terminal it says what to do', async () => {
    const key = join(dir, 'locked');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'sesame', '-f', key]);
    writeFileSync(
      join(dir, 'authorized_keys'),
      readFileSync(join(dir, 'authorized_keys'), 'utf8') + readFileSync(`${key}.pub`, 'utf8'),
    );
    const locked = { ...settings, identityFile: key, agent: true };
    const noAgent = await SshConnection.connect(endpoint, locked, senv()).catch((e: unknown) => e);
    expect((noAgent as Error).message).toMatch(
      /is encrypted and there is neither an ssh-agent .* nor a terminal/,
    );
    expect((noAgent as SshError).hint).toMatch(/ssh-add/);

    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      const askpass = join(dir, 'askpass.sh');
      writeFileSync(askpass, '#!/bin/sh\necho sesame\n', { mode: 0o755 });
      execFileSync('ssh-add', [key], {
        env: {
          ...process.env,
          SSH_AUTH_SOCK: sock,
          SSH_ASKPASS: askpass,
          SSH_ASKPASS_REQUIRE: 'force',
          DISPLAY: ':0',
        },
        stdio: 'ignore',
      });
      const c = await SshConnection.connect(endpoint, locked, { env: { SSH_AUTH_SOCK: sock }, cwd: '/' });
      expect((await c.exec('echo via-agent')).stdout).toBe('via-agent');
      c.close();
      // a typed passphrase works too (the prompt is only offered on a terminal)
      const typed = await SshConnection.connect(
        endpoint,
        { ...locked, agent: false },
        { ...senv(), promptPassphrase: async () => 'sesame' },
      );
      expect((await typed.exec('echo typed')).stdout).toBe('typed');
      typed.close();
    } finally {
      if (agent.pid) process.kill(agent.pid, 'SIGTERM');
    }
  });

  it('names the key when authentication fails, without key material', async () => {
    const err = await SshConnection.connect(
      endpoint,
      { ...settings, identityFile: join(dir, 'other') },
      senv(),
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/authentication to test-master .* failed/);
    expect((err as Error).message).not.toMatch(/PRIVATE KEY/);
  });
});
