/**
 * The static-pod commands run by a real /bin/sh against a temp dir standing in for the master:
 * manifest and stash folders on disk and a fake `crictl` on PATH that logs its arguments and
 * answers `ps` from a file. This tests OUR shell commands (quoting, refusals, exit statuses),
 * not the kubelet or containerd.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeInventory } from './testing/fakes.js';
import type { ComponentName } from '../config/schema.js';
import { activeComponents, serviceCommands, type ServiceCommands } from './services.js';

const ALL: ComponentName[] = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'];

let dir: string;
let manifests: string;
let stash: string;
let s: ServiceCommands;

const FAKE_CRICTL = `#!/bin/sh
echo "$*" >> "$FAKE_DIR/crictl.log"
if [ "$1" = ps ]; then
  # the running containers, one "name state id" per line
  name=""; state=""
  while [ $# -gt 0 ]; do
    case "$1" in --name) name="$2"; shift;; --state) state="$2"; shift;; esac; shift
  done
  [ -f "$FAKE_DIR/containers" ] || exit 0
  while read -r n st id; do
    if echo "$n" | grep -Eq "$name" && { [ -z "$state" ] || [ "$st" = "$state" ]; }; then echo "$id"; fi
  done < "$FAKE_DIR/containers"
  exit 0
fi
# a stopped container has exited; inspect tells its state and finishedAt (the id is last)
[ "$1" = stop ] && [ $# -ge 4 ] && { echo "$4" >> "$FAKE_DIR/stopped"; exit 0; }
if [ "$1" = inspect ]; then
  for id; do :; done
  if grep -qx "$id" "$FAKE_DIR/stopped" 2>/dev/null; then echo "CONTAINER_EXITED 2026-12-06T01:07:10.049412345Z"
  else echo "CONTAINER_RUNNING 0001-01-01T00:00:00Z"; fi
  exit 0
fi
echo "crictl: bad call: $*" >&2; exit 1
`;

function sh(command: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', command], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, FAKE_DIR: dir },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const crictlCalls = () =>
  fs.existsSync(path.join(dir, 'crictl.log'))
    ? fs.readFileSync(path.join(dir, 'crictl.log'), 'utf8').trim().split('\n')
    : [];
const write = (file: string, text: string, mtimeS?: number) => {
  fs.writeFileSync(file, text);
  if (mtimeS !== undefined) fs.utimesSync(file, mtimeS, mtimeS);
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kha-static pod's-"));
  manifests = path.join(dir, 'manifests');
  stash = path.join(dir, 'stash');
  fs.mkdirSync(manifests);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'crictl'), FAKE_CRICTL, { mode: 0o755 });
  s = serviceCommands(
    fakeInventory(3, { services: { manager: 'static-pod', manifestDir: manifests, stashDir: stash } })
      .services,
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('static-pod start never overwrites a manifest in place', () => {
  it('moves the stash back when only the stash exists', () => {
    fs.mkdirSync(stash);
    write(path.join(stash, 'kube-scheduler.yaml'), 'stashed');
    const r = sh(s.start('kube-scheduler'));
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(manifests, 'kube-scheduler.yaml'), 'utf8')).toBe('stashed');
    expect(fs.existsSync(path.join(stash, 'kube-scheduler.yaml'))).toBe(false);
  });

  it.each([
    ['the stash', 2_000_000_000, 1_000_000_000],
    ['the live manifest', 1_000_000_000, 2_000_000_000],
    ['neither (same time)', 1_000_000_000, 1_000_000_000],
  ])('refuses when both exist and says which is newer: %s', (newer, stashT, liveT) => {
    fs.mkdirSync(stash);
    write(path.join(stash, 'kube-scheduler.yaml'), 'stashed', stashT);
    write(path.join(manifests, 'kube-scheduler.yaml'), 'live', liveT);
    const r = sh(s.start('kube-scheduler'));
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(
      `refusing to start kube-scheduler: both ${manifests}/kube-scheduler.yaml and ${stash}/kube-scheduler.yaml exist, newer: ${newer}`,
    );
    expect(fs.readFileSync(path.join(manifests, 'kube-scheduler.yaml'), 'utf8')).toBe('live');
    expect(fs.readFileSync(path.join(stash, 'kube-scheduler.yaml'), 'utf8')).toBe('stashed');
    // joined with && as undo commands are, the refusal stops what follows
    expect(sh(`${s.start('kube-scheduler')} && echo went-on`).stdout).not.toContain('went-on');
  });

  it('fails when there is neither a stash nor a manifest', () => {
    expect(sh(s.start('kube-scheduler')).code).not.toBe(0);
  });
});

describe('static-pod health is the container state, not the manifest', () => {
  it.each([
    ['running container, no manifest', 'kube-scheduler CONTAINER_RUNNING abc', false, 1],
    ['manifest, container exited', 'kube-scheduler CONTAINER_EXITED abc', true, 0],
    ['manifest, no container', '', true, 0],
    ['another pod with a longer name runs', 'kube-scheduler-extra CONTAINER_RUNNING def', true, 0],
  ])('%s', (_name, containers, withManifest, active) => {
    write(path.join(dir, 'containers'), `${containers.replace('CONTAINER_RUNNING', 'Running')}\n`);
    if (withManifest) write(path.join(manifests, 'kube-scheduler.yaml'), '');
    expect(sh(s.isActive('kube-scheduler')).code === 0 ? 1 : 0).toBe(active);
  });
});

describe('static-pod areActive', () => {
  it('one line per component from the running containers, through activeComponents', async () => {
    write(
      path.join(dir, 'containers'),
      'etcd Running 1\nkube-scheduler Exited 2\nkube-apiserver Running 3\n',
    );
    write(path.join(manifests, 'kube-controller-manager.yaml'), '');
    const states = await activeComponents(s, async (c) => sh(c), ALL);
    expect(Object.fromEntries(states)).toEqual({
      etcd: true,
      'kube-apiserver': true,
      'kube-scheduler': false,
      'kube-controller-manager': false,
    });
  });
});

describe('static-pod kill and restart honour the grace period', () => {
  beforeEach(() => write(path.join(dir, 'containers'), 'kube-scheduler Running c0ffee\n'));

  it.each([
    ['from the manifest', '  terminationGracePeriodSeconds: 45\n', '45'],
    ['Kubernetes default without one', 'spec:\n  containers: []\n', '30'],
    ['default when the value is not a number', '  terminationGracePeriodSeconds: "$(id)"\n', '30'],
  ])('TERM and restart: %s', (_name, manifest, timeout) => {
    write(path.join(manifests, 'kube-scheduler.yaml'), manifest);
    for (const command of [s.kill('kube-scheduler', 'TERM'), s.restart('kube-scheduler')]) {
      const r = sh(`true && ${command} && echo done`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('done');
    }
    expect(crictlCalls().filter((c) => c.startsWith('stop'))).toEqual([
      `stop --timeout ${timeout} c0ffee`,
      `stop --timeout ${timeout} c0ffee`,
    ]);
  });

  it('KILL stops at once', () => {
    write(path.join(manifests, 'kube-scheduler.yaml'), '  terminationGracePeriodSeconds: 45\n');
    expect(sh(s.kill('kube-scheduler', 'KILL')).code).toBe(0);
    expect(crictlCalls().filter((c) => c.startsWith('stop'))).toEqual(['stop --timeout 0 c0ffee']);
  });

  it('notes when the stopped container exited (its finishedAt) in the stash, for the fault record', () => {
    write(path.join(manifests, 'kube-scheduler.yaml'), '');
    const note = path.join(stash, 'kube-scheduler.exit');
    expect(sh(s.kill('kube-scheduler', 'KILL')).code).toBe(0);
    expect(fs.readFileSync(note, 'utf8')).toBe('2026-12-06T01:07:10.049412345Z\n');
    expect(crictlCalls()).toContain(
      'inspect -o go-template --template {{.status.state}} {{.status.finishedAt}} c0ffee',
    );
    fs.rmSync(note);
    // a stop that waits (the kubelet stops the pod whose manifest left) notes it too; the fake
    // has the container exited once it was stopped
    fs.appendFileSync(path.join(dir, 'stopped'), 'c0ffee\n');
    expect(sh(s.stop('kube-scheduler')).code).toBe(0);
    expect(fs.readFileSync(note, 'utf8')).toBe('2026-12-06T01:07:10.049412345Z\n');
  });

  it('a stop that does not wait only moves the manifest: no look at the container', () => {
    write(path.join(manifests, 'kube-scheduler.yaml'), '');
    expect(sh(s.stop('kube-scheduler', { wait: false })).code).toBe(0);
    expect(crictlCalls()).toEqual([]);
    expect(fs.existsSync(path.join(stash, 'kube-scheduler.yaml'))).toBe(true);
  });

  it('a failed stop is not hidden by the grace-period lookup', () => {
    fs.writeFileSync(path.join(dir, 'containers'), '');
    // no container: `crictl stop --timeout 30` without an id is a bad call
    expect(sh(`${s.restart('kube-scheduler')} && echo went-on`).stdout).not.toContain('went-on');
    // and nothing was noted
    expect(fs.existsSync(path.join(stash, 'kube-scheduler.exit'))).toBe(false);
  });
});
