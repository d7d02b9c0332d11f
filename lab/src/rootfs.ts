/**
 * One Debian 12 root file system for every lab host, made once with debootstrap and cached;
 * each host boots an overlay of it. Made in a temporary folder renamed into place when
 * complete, so a killed debootstrap leaves no half tree behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { LabError } from './errors.js';
import { cachePaths } from './layout.js';
import type { Progress } from './progress.js';

export const SUITE = 'bookworm';
export const MIRROR = 'http://deb.debian.org/debian';
export const PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'openssh-server',
  'iptables',
  'iproute2',
  'procps',
];

/**
 * The kubeadm topology's hosts also run the container runtime from Debian (containerd 1.6, runc
 * 1.1) and the CNI plugins the kubelet needs to report its network ready; the default hosts do not
 * carry them (a root file system of its own, cached beside the default one).
 */
export const KUBEADM_PACKAGES = ['containerd', 'runc', 'containernetworking-plugins'];

export function rootfsId(packages: readonly string[] = PACKAGES): string {
  const hash = createHash('sha256')
    .update([SUITE, ...packages].join(' '))
    .digest('hex')
    .slice(0, 12);
  return `${SUITE}-${hash}`;
}

export async function ensureRootfs(
  progress: Progress,
  env: NodeJS.ProcessEnv = process.env,
  packages: readonly string[] = PACKAGES,
): Promise<string> {
  const dir = cachePaths(env).rootfs(rootfsId(packages));
  const marker = path.join(dir, '.kha-drill-rootfs');
  if (existsSync(marker)) {
    progress.line(`root file system: cached in ${dir} (${readFileSync(marker, 'utf8').trim()})`);
    return dir;
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  const t0 = performance.now();
  const stop = progress.ticker(
    `debootstrap of Debian 12 for the lab hosts (once per machine; cached in ${dir})`,
  );
  const result = await execa(
    'debootstrap',
    ['--variant=minbase', `--include=${packages.join(',')}`, SUITE, tmp, MIRROR],
    { all: true, reject: false, stdin: 'ignore' },
  );
  if (result.exitCode !== 0) {
    stop();
    rmSync(tmp, { recursive: true, force: true });
    const tail = (result.all ?? '').split('\n').slice(-8).join('\n');
    throw new LabError(`debootstrap failed (exit ${result.exitCode}); nothing was started`, 3, tail);
  }
  // hosts get their own keys and identity; none may come from the shared tree
  for (const f of ['etc/machine-id', 'var/lib/dbus/machine-id']) rmSync(path.join(tmp, f), { force: true });
  writeFileSync(path.join(tmp, 'etc/machine-id'), '');
  for (const key of ['rsa', 'ecdsa', 'ed25519']) {
    rmSync(path.join(tmp, `etc/ssh/ssh_host_${key}_key`), { force: true });
    rmSync(path.join(tmp, `etc/ssh/ssh_host_${key}_key.pub`), { force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(
    path.join(tmp, '.kha-drill-rootfs'),
    `made in ${seconds.toFixed(0)}s on ${new Date().toISOString().slice(0, 10)}\n`,
  );
  renameSync(tmp, dir);
  stop(`root file system made in ${seconds.toFixed(0)}s`);
  return dir;
}
