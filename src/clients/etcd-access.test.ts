import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KhaError } from '../errors.js';
import { EtcdCluster, EtcdError, type EtcdMember } from './etcd.js';
import { checkEtcdWriteAccess, etcdUserOf, gatewayRefusesCertUser, PROBE_PREFIX } from './etcd-access.js';

/** A member whose calls answer as scripted; records what was asked. */
function member(fail: Partial<Record<'put' | 'countPrefix' | 'deletePrefix' | 'leaseGrant', string>>) {
  const calls: string[] = [];
  const step = async <T>(name: keyof typeof fail, value: T): Promise<T> => {
    calls.push(name);
    if (fail[name]) throw new EtcdError(fail[name], 'https://m:2379', 1);
    return value;
  };
  const client: EtcdMember = {
    endpoint: 'https://m:2379',
    status: () => Promise.reject(new Error('unused')),
    memberList: () => Promise.reject(new Error('unused')),
    put: () => step('put', { revision: '1', latencyMs: 1 }),
    leaseGrant: () => step('leaseGrant', '77'),
    leaseKeepAlive: () => Promise.resolve(5),
    leaseRevoke: async (id) => void calls.push(`revoke ${id}`),
    deletePrefix: () => step('deletePrefix', 1),
    countPrefix: () => step('countPrefix', 1),
    close: () => undefined,
  };
  return { client, calls };
}

const check = (m: EtcdMember, user = 'kha-drill') =>
  checkEtcdWriteAccess(new EtcdCluster([{ name: 'a', endpoint: m.endpoint }], undefined, () => m), {
    prefix: PROBE_PREFIX,
    key: `${PROBE_PREFIX}run1/preflight`,
    user,
  });

describe('checkEtcdWriteAccess', () => {
  it('passes when put, count and delete under the prefix work, and revokes its lease', async () => {
    const m = member({});
    await check(m.client);
    expect(m.calls).toEqual(['leaseGrant', 'put', 'countPrefix', 'deletePrefix', 'revoke 77']);
  });

  it.each([
    ['put', 'etcdserver: permission denied'],
    ['countPrefix', 'etcdserver: permission denied'],
    ['deletePrefix', 'etcdserver: permission denied'],
    ['put', 'etcdserver: user name not found'],
  ] as const)(
    'a refused %s (%s) is E_ETCD_AUTH (exit 3) naming the user and the prefix',
    async (call, message) => {
      const m = member({ [call]: message });
      const err = await check(m.client, 'kha-norole').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KhaError);
      const k = err as KhaError;
      expect([k.code, k.exitCode]).toEqual(['E_ETCD_AUTH', 3]);
      expect(k.message).toBe(
        `etcd user kha-norole may not write /kha-drill/probe/ (${message}): it needs a role with readwrite on that prefix; nothing was injected`,
      );
      expect(k.message).not.toContain('\n');
      expect(k.hint).toContain('etcdctl user grant-role kha-norole kha-drill');
      expect(m.calls).toContain('revoke 77');
    },
  );

  it("the JSON gateway's refusal of certificate users asks for the gRPC transport", async () => {
    const m = member({
      leaseGrant:
        'HTTP 400: CommonName of client sending a request against gateway will be ignored and not used as expected',
    });
    const err = (await check(m.client).catch((e: unknown) => e)) as KhaError;
    expect(err.code).toBe('E_ETCD_AUTH');
    expect(err.hint).toMatch(/etcd\.transport: grpc/);
  });

  it('other failures (no answer) are left to the other preflight checks', async () => {
    await expect(check(member({ put: 'no answer within 2000 ms' }).client)).resolves.toBeUndefined();
  });
});

describe('etcd users and the gateway', () => {
  it("a client certificate's etcd user is its CN", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-cn-'));
    try {
      const [key, crt] = [path.join(dir, 'k.pem'), path.join(dir, 'c.pem')];
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          key,
          '-out',
          crt,
          '-days',
          '1',
          '-subj',
          '/O=ops/CN=kha-drill',
        ],
        { stdio: 'ignore' },
      );
      expect(etcdUserOf(readFileSync(crt))).toBe('kha-drill');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(etcdUserOf(undefined)).toBeUndefined();
    expect(etcdUserOf(Buffer.from('not a certificate'))).toBeUndefined();
  });

  it.each([
    [
      'HTTP 400: CommonName of client sending a request against gateway will be ignored and not used as expected\n',
      true,
    ],
    ['no answer within 1000 ms', false],
  ])('%j is the gateway refusing certificate users: %s', (text, expected) =>
    expect(gatewayRefusesCertUser(text)).toBe(expected),
  );
});
