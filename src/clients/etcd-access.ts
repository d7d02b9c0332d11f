/**
 * What etcd lets kha-drill's etcd user do, checked before a run touches anything: under etcd auth
 * the user is the client certificate's CN (gRPC only). status, member list and lease grant,
 * keep-alive and revoke are allowed to any authenticated user (seen on etcd 3.6.16, even for a CN
 * that is no etcd user); the write probe also needs readwrite on its prefix.
 */
import { X509Certificate } from 'node:crypto';
import { KhaError } from '../errors.js';
import { errorMessage } from './http.js';
import type { EtcdCluster } from './etcd.js';

/** Where the write probe puts its keys: the one prefix kha-drill's etcd role needs. */
export const PROBE_PREFIX = '/kha-drill/probe/';

/** The etcd user a client certificate stands for (its subject's CN), if it has one. */
export function etcdUserOf(cert: Buffer | undefined): string | undefined {
  if (!cert) return undefined;
  try {
    const subject = new X509Certificate(cert).subject;
    return /^CN=(.*)$/m.exec(subject)?.[1];
  } catch {
    return undefined;
  }
}

/** The JSON gateway's answer to a client-certificate request when etcd auth is on. */
export function gatewayRefusesCertUser(error: string): boolean {
  return /CommonName of client sending a request against gateway will be ignored/.test(error);
}

const shown = (user: string | undefined) =>
  user ? `etcd user ${user}` : 'the etcd client (no client certificate)';

export function gatewayAuthError(user: string | undefined): KhaError {
  return new KhaError(
    'E_ETCD_AUTH',
    `etcd has auth enabled and its JSON gateway ignores client certificates, so ${shown(user)} cannot be used through it`,
    {
      hint: 'set etcd.transport: grpc in the inventory (etcd takes the user from the certificate’s CN on gRPC)',
    },
  );
}

export function permissionError(user: string | undefined, prefix: string, cause: string): KhaError {
  const u = user ?? '<user>';
  return new KhaError(
    'E_ETCD_AUTH',
    `${shown(user)} may not write ${prefix} (${cause}): it needs a role with readwrite on that prefix; nothing was injected`,
    {
      hint: `etcdctl role add kha-drill && etcdctl role grant-permission kha-drill readwrite ${prefix} --prefix && etcdctl user grant-role ${u} kha-drill (if ${u} is no etcd user yet, first: etcdctl user add ${u} --no-password)`,
    },
  );
}

const DENIED =
  /permission denied|user name not found|user name is empty|invalid auth token|authentication failed/i;

/**
 * Puts, counts and deletes one key under `prefix` on a lease of a few seconds, as the write probe
 * will, through any member that answers. A refusal by etcd is E_ETCD_AUTH (exit 3); anything
 * else (no member answering) is left to the other preflight checks.
 */
export async function checkEtcdWriteAccess(
  cluster: EtcdCluster,
  opts: { prefix: string; key: string; user: string | undefined; timeoutMs?: number },
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  try {
    await cluster.withAnyMember(async (c) => {
      const lease = await c.leaseGrant(5, { timeoutMs });
      try {
        await c.put(opts.key, 'preflight', { timeoutMs, lease });
        await c.countPrefix(opts.prefix, { timeoutMs });
        await c.deletePrefix(opts.key, { timeoutMs });
      } finally {
        await c.leaseRevoke(lease, { timeoutMs }).catch(() => undefined);
      }
    }, timeoutMs * 2);
  } catch (err) {
    const message = errorMessage(err);
    if (gatewayRefusesCertUser(message)) throw gatewayAuthError(opts.user);
    if (DENIED.test(message)) throw permissionError(opts.user, opts.prefix, message);
  }
}
