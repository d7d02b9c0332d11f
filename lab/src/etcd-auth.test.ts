import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { etcdAuthCommands, leaseReaderRbac, PROBE_PREFIX } from './etcd-auth.js';
import { REPO_ROOT } from './layout.js';

const masters = [{ name: 'master-1' }, { name: 'master-2' }];

describe('etcd auth commands', () => {
  const cmds = etcdAuthCommands(masters);
  const index = (...args: string[]) => cmds.findIndex((c) => c.join(' ') === args.join(' '));

  it('makes every certificate the lab uses a root user before auth is enabled, and enables it last', () => {
    const enable = index('auth', 'enable');
    expect(enable).toBe(cmds.length - 1);
    for (const user of ['root', 'kube-apiserver-etcd-client', 'kubernetes-admin', 'master-1', 'master-2']) {
      expect(index('user', 'add', user, '--no-password')).toBeGreaterThanOrEqual(0);
      expect(index('user', 'grant-role', user, 'root')).toBeGreaterThan(
        index('user', 'add', user, '--no-password'),
      );
    }
  });

  it('gives kha-drill readwrite on the probe prefix and nothing else', () => {
    const kha = cmds.filter((c) => c.includes('kha-drill'));
    expect(kha).toEqual([
      ['role', 'add', 'kha-drill'],
      ['role', 'grant-permission', 'kha-drill', 'readwrite', '/kha-drill/probe/', '--prefix'],
      ['user', 'add', 'kha-drill', '--no-password'],
      ['user', 'grant-role', 'kha-drill', 'kha-drill'],
    ]);
  });

  it("uses the product's probe prefix", () => {
    const product = readFileSync(path.join(REPO_ROOT, 'src/clients/etcd-access.ts'), 'utf8');
    expect(product).toContain(`export const PROBE_PREFIX = '${PROBE_PREFIX}';`);
  });
});

describe('the Lease-only Role', () => {
  it("has exactly examples/rbac-lease-reader.yaml's rules, bound to the user kha-drill", () => {
    const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
    const kindOf = (list: Record<string, unknown>[], kind: string) => list.find((d) => d.kind === kind)!;
    const example = docs(readFileSync(path.join(REPO_ROOT, 'examples/rbac-lease-reader.yaml'), 'utf8'));
    const lab = docs(leaseReaderRbac());
    expect(kindOf(lab, 'Role')).toEqual(kindOf(example, 'Role'));
    const binding = kindOf(lab, 'RoleBinding');
    expect(binding.roleRef).toEqual(kindOf(example, 'RoleBinding').roleRef);
    expect(binding.subjects).toEqual([
      { kind: 'User', name: 'kha-drill', apiGroup: 'rbac.authorization.k8s.io' },
    ]);
  });
});
