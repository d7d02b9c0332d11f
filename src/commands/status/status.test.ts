import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli.js';
import type { Context } from '../../context.js';

function fakeContext(cwd: string, env: Record<string, string> = {}) {
  const out = { stdout: '', stderr: '' };
  const ctx: Context = {
    stdout: { write: (s) => void (out.stdout += s), isTTY: false },
    stderr: { write: (s) => void (out.stderr += s), isTTY: false },
    env: { HOME: cwd, ...env },
    cwd,
    onSignal: () => () => {},
  };
  return { ctx, out };
}

const BAD = `apiVersion: kha-drill/v1
kind: Inventory
metadata: { name: lab }
masters:
  - name: master-1
    host: 127.0.10.1
    nodeName: master-1
    etcd: ftp://127.0.10.1:2379
    apiserver: http://127.0.10.1:6443
kubernetes: { loadBalancer: http://127.0.10.100:6443 }
services: { manager: systemd }
`;

describe('kha-drill status: bad input exits 2 before touching anything', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-status-'));
  writeFileSync(path.join(dir, 'bad.yaml'), BAD);
  writeFileSync(path.join(dir, 'good.yaml'), BAD.replace('ftp:', 'http:'));

  it.each([
    {
      name: 'an invalid inventory, with file:line:col',
      args: ['-i', 'bad.yaml'],
      err: /^kha-drill: bad\.yaml:8:11 masters\[0\]\.etcd: /,
    },
    { name: 'no inventory at all', args: [], err: /no inventory: pass -i <file>/ },
    {
      name: 'a malformed --lease',
      args: ['-i', 'good.yaml', '--lease', 'nope'],
      err: /--lease nope: expected a Lease/,
    },
    {
      name: 'a bad --timeout',
      args: ['-i', 'good.yaml', '--timeout', 'soon'],
      err: /invalid duration 'soon'/,
    },
    {
      name: 'a too short --watch interval',
      args: ['-i', 'good.yaml', '--watch', '10ms'],
      err: /at least 200ms/,
    },
    {
      name: 'a missing kubeconfig',
      args: ['-i', 'good.yaml'],
      err: /no kubeconfig: .*\.kube\/config does not exist/,
    },
  ])('$name', async ({ args, err }) => {
    const { ctx, out } = fakeContext(dir);
    expect(await main(['status', ...args], ctx)).toBe(2);
    expect(out.stderr).toMatch(err);
    expect(out.stdout).toBe('');
  });
});
