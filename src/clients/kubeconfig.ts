/**
 * Kubeconfig → connection settings (server, TLS material, auth header), parsed here with the
 * yaml library so that http:// servers, tokens and inline/file certificates all work the same.
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, delimiter } from 'node:path';
import { parse } from 'yaml';
import { KhaError } from '../errors.js';
import { readBoundedFile, readInputFile, readInputText } from '../fs/read-file.js';
import { expandHome, type TlsMaterial } from './tls.js';

export interface KubeConnection {
  server: string;
  tls: TlsMaterial;
  /** e.g. Authorization: Bearer …; never logged */
  headers: Record<string, string>;
  /** the context used */
  context: string;
  namespace?: string;
}

export class KubeconfigError extends KhaError {
  constructor(message: string) {
    super('E_KUBECONFIG', message);
    this.name = 'KubeconfigError';
  }
}

interface Named<T> {
  name?: string;
  [key: string]: unknown;
  value?: T;
}

type Dict = Record<string, unknown>;

/** The kubeconfig file kubectl would use: explicit, else the first KUBECONFIG entry, else ~/.kube/config. */
export function defaultKubeconfigPath(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.KUBECONFIG?.split(delimiter).find((p) => p.length > 0);
  return fromEnv ?? join(env.HOME ?? homedir(), '.kube', 'config');
}

export function loadKubeconfig(options: {
  file?: string;
  context?: string;
  env?: Record<string, string | undefined>;
}): KubeConnection {
  const file = expandHome(options.file ?? defaultKubeconfigPath(options.env));
  const read = readBoundedFile(file, { what: 'a kubeconfig' });
  if (!read.ok) throw new KubeconfigError(`cannot read kubeconfig ${file}: ${read.message}`);
  const text = read.data.toString('utf8');
  return parseKubeconfig(text, { ...options, file });
}

export function parseKubeconfig(text: string, options: { file: string; context?: string }): KubeConnection {
  const doc = (parse(text) ?? {}) as Dict;
  const base = dirname(options.file);
  const contextName = options.context ?? (doc['current-context'] as string | undefined);
  if (!contextName) throw new KubeconfigError(`${options.file}: no context given and no current-context`);
  const ctx = find(doc.contexts, 'context', contextName, options.file, 'context');
  const cluster = find(doc.clusters, 'cluster', String(ctx.cluster ?? ''), options.file, 'cluster');
  const user = ctx.user === undefined ? {} : find(doc.users, 'user', String(ctx.user), options.file, 'user');

  const server = String(cluster.server ?? '');
  if (!/^https?:\/\//.test(server))
    throw new KubeconfigError(`${options.file}: cluster of context ${contextName} has no http(s) server`);
  const readData = (data: unknown, path: unknown): Buffer | undefined => {
    if (typeof data === 'string' && data.length > 0) return Buffer.from(data, 'base64');
    if (typeof path === 'string' && path.length > 0) {
      const p = expandHome(path);
      return readInputFile(isAbsolute(p) ? p : join(base, p));
    }
    return undefined;
  };
  const tls: TlsMaterial = {};
  const ca = readData(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (ca) tls.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) tls.insecure = true;
  if (typeof cluster['tls-server-name'] === 'string') tls.serverName = cluster['tls-server-name'];
  const cert = readData(user['client-certificate-data'], user['client-certificate']);
  const key = readData(user['client-key-data'], user['client-key']);
  if (cert) tls.cert = cert;
  if (key) tls.key = key;

  const headers: Record<string, string> = {};
  let token = typeof user.token === 'string' ? user.token : undefined;
  if (!token && typeof user.tokenFile === 'string') {
    const p = expandHome(user.tokenFile);
    token = readInputText(isAbsolute(p) ? p : join(base, p)).trim();
  }
  if (token) headers.authorization = `Bearer ${token}`;
  else if (typeof user.username === 'string' && typeof user.password === 'string') {
    headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  }
  const out: KubeConnection = { server: server.replace(/\/+$/, ''), tls, headers, context: contextName };
  if (typeof ctx.namespace === 'string') out.namespace = ctx.namespace;
  return out;
}

function find(list: unknown, field: string, name: string, file: string, what: string): Dict {
  const entries = Array.isArray(list) ? (list as Named<Dict>[]) : [];
  const hit = entries.find((e) => e.name === name);
  if (!hit) throw new KubeconfigError(`${file}: ${what} '${name}' not found`);
  return (hit[field] as Dict | undefined) ?? {};
}
