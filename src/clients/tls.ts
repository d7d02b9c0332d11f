/** TLS material for clients: read once from files, or given inline (kubeconfig *-data). */
import { readInputFile } from '../fs/read-file.js';
import type https from 'node:https';
import { homedir } from 'node:os';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** skip server certificate verification (kubeconfig insecure-skip-tls-verify) */
  insecure?: boolean;
  /** name to verify the server certificate against (kubeconfig tls-server-name) */
  serverName?: string;
}

export interface TlsFilePaths {
  ca?: string;
  cert?: string;
  key?: string;
}

export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/** Reads the files an inventory names (etcd.tls). Missing fields stay unset. */
export function loadTlsFiles(paths: TlsFilePaths | undefined): TlsMaterial {
  const out: TlsMaterial = {};
  if (!paths) return out;
  if (paths.ca) out.ca = readInputFile(expandHome(paths.ca));
  if (paths.cert) out.cert = readInputFile(expandHome(paths.cert));
  if (paths.key) out.key = readInputFile(expandHome(paths.key));
  return out;
}

/** Options for http(s).request and for agents: one place that applies TLS material. */
export function tlsRequestOptions(tls: TlsMaterial | undefined): https.AgentOptions {
  if (!tls) return {};
  const o: https.AgentOptions = {};
  if (tls.ca) o.ca = tls.ca;
  if (tls.cert) o.cert = tls.cert;
  if (tls.key) o.key = tls.key;
  if (tls.insecure) o.rejectUnauthorized = false;
  if (tls.serverName) o.servername = tls.serverName;
  return o;
}
