/**
 * One real OpenSSH server per master: key-only, a lab client key, host keys pinned in the
 * lab's known_hosts, and sessions that know their master (KHA_LAB_MASTER, KHA_LAB_DIR) and find
 * the master's `systemctl` and `iptables` shims first on PATH.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { labPaths, PACKAGE_ROOT, type LabMaster } from './layout.js';

export const SSHD = '/usr/sbin/sshd';
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function keygen(file: string, comment: string): string {
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
    stdio: 'ignore',
  });
  chmodSync(file, 0o600);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** `127.0.10.2`, or `[127.0.10.2]:2222` off port 22, as ssh looks hosts up in known_hosts. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

export function sshdConfig(dir: string, m: LabMaster, port: number, asRoot: boolean): string {
  const p = labPaths(dir);
  const env = [
    `KHA_LAB_MASTER=${m.name}`,
    `KHA_LAB_DIR=${dir}`,
    `PATH=${p.masterBin(m.name)}:${SYSTEM_PATH}`,
  ];
  return [
    `# kha-drill lab: sshd of ${m.name}`,
    `ListenAddress ${m.address}:${port}`,
    `HostKey ${p.hostKey(m.name)}`,
    `PidFile ${p.sshdPid(m.name)}`,
    `AuthorizedKeysFile ${p.authorizedKeys}`,
    `PermitRootLogin ${asRoot ? 'prohibit-password' : 'no'}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'X11Forwarding no',
    'PrintMotd no',
    'UseDNS no',
    'LogLevel INFO',
    `SetEnv ${env.map(quote).join(' ')}`,
    '',
  ].join('\n');
}

/** `#!/bin/sh` wrappers running the compiled shims with this node. */
function writeShims(dir: string, m: LabMaster): void {
  const bin = labPaths(dir).masterBin(m.name);
  mkdirSync(bin, { recursive: true });
  for (const shim of ['systemctl', 'iptables']) {
    const script = path.join(PACKAGE_ROOT, 'dist', 'lab', 'shim', `${shim}.js`);
    const file = path.join(bin, shim);
    writeFileSync(file, `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(script)} "$@"\n`);
    chmodSync(file, 0o755);
  }
}

/** Keys, known_hosts, authorized_keys, per-master sshd configs and shims. */
export function prepareSsh(dir: string, masters: LabMaster[], port: number, asRoot: boolean): void {
  const p = labPaths(dir);
  mkdirSync(p.ssh, { recursive: true, mode: 0o700 });
  const clientPub = keygen(p.clientKey, 'kha-drill-lab');
  writeFileSync(p.authorizedKeys, `${clientPub}\n`, { mode: 0o600 });
  const known: string[] = [];
  for (const m of masters) {
    mkdirSync(path.dirname(p.hostKey(m.name)), { recursive: true, mode: 0o700 });
    const hostPub = keygen(p.hostKey(m.name), `kha-lab-${m.name}`);
    const [type, key] = hostPub.split(' ');
    known.push(`${knownHostsName(m.address, port)} ${type} ${key}`);
    writeFileSync(p.sshdConfig(m.name), sshdConfig(dir, m, port, asRoot));
    writeShims(dir, m);
  }
  writeFileSync(p.knownHosts, known.join('\n') + '\n');
  // sshd's privilege separation directory (Debian's init script makes it; there is no init here)
  if (asRoot) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

export function sshdArgv(dir: string, m: LabMaster): string[] {
  const p = labPaths(dir);
  return [SSHD, '-D', '-f', p.sshdConfig(m.name), '-E', p.sshdLog(m.name)];
}
