/**
 * Authentication of every Kubernetes request by @kubernetes/client-node: client certificates,
 * tokens, token files (re-read by the library every 60 s), exec plugins (re-run when their
 * credential expires), the oidc auth-provider (refreshed), proxy-url, tls-server-name and `as`.
 * The library's result is turned into our request's headers, TLS material and, with proxy-url,
 * the library's proxy agent; it is re-applied every REFRESH_MS and after a 401, so rotating
 * credentials are picked up. The library is imported when a connection is made (not by commands
 * that never talk to Kubernetes).
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import type https from 'node:https';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { errorMessage } from '../errors.js';
import { setSafeTimeout, type SafeTimer } from '../time/timer.js';
import { KubeconfigError } from './kubeconfig-error.js';
import { expandHome, type TlsMaterial } from './tls.js';

export interface KubeAuthState {
  /** lower-case header names (authorization, impersonate-user); never logged */
  headers: Record<string, string>;
  tls: TlsMaterial;
  /** the library's proxy agent when the cluster sets proxy-url */
  agent?: http.Agent;
  /** identifies the TLS material and agent, so a client rebuilds its agent only when they change */
  key: string;
}

/** What a request needs to authenticate; tests give a fixed one (staticAuth). */
export interface KubeAuthenticator {
  current(): Promise<KubeAuthState>;
  /** forget the applied credential (after a 401), so the next request re-applies it */
  invalidate(): void;
  /** names the kubeconfig user, context and file, for messages */
  readonly describe: string;
}

export type KubeAuthSource =
  | {
      kind: 'files';
      files: { file: string; text: string }[];
      context: string;
      user: string;
      /** the selected user's raw fields, as the first file defining it has them */
      userFields: Record<string, unknown>;
      /** the folder of that file (kubectl resolves relative paths against it) */
      baseOfUser: string;
      /** the selected cluster's raw fields and the folder of the file defining it */
      clusterFields?: Record<string, unknown>;
      baseOfCluster?: string;
      describe: string;
    }
  | {
      kind: 'in-cluster';
      server: string;
      ca: string;
      token: string;
      namespaceFile: string | undefined;
      describe: string;
    };

/** How long an applied credential is reused before the library is asked again. */
export const REFRESH_MS = 10_000;
/**
 * How long the library may take to produce a credential: an exec plugin waiting for a browser
 * login or a dead OIDC issuer would otherwise hang the command with no word.
 */
export const APPLY_TIMEOUT_MS = 30_000;

type LibKubeConfig = import('@kubernetes/client-node').KubeConfig;
type LibUser = import('@kubernetes/client-node').User;
type LibCluster = import('@kubernetes/client-node').Cluster;
type LibContext = import('@kubernetes/client-node').Context;

export class KubeAuth implements KubeAuthenticator {
  private kc: Promise<LibKubeConfig> | undefined;
  private cached: { state: KubeAuthState; until: number } | undefined;
  private pending: Promise<KubeAuthState> | undefined;
  /** a static credential read without the library (see staticOptions), else null */
  private readonly plain: boolean;

  constructor(
    private readonly source: KubeAuthSource,
    private readonly now: () => number = () => performance.now(),
    private readonly applyTimeoutMs = APPLY_TIMEOUT_MS,
    /** `always`: the library even for a static credential (tests compare the two) */
    library: 'when-needed' | 'always' = 'when-needed',
  ) {
    this.plain = library === 'when-needed' && isStatic(source);
    // the library takes 0.75-1 s of CPU and ~70 MB to import (its generated API models): not
    // for a static credential; otherwise start now, so that it overlaps the SSH and etcd work
    // that comes first; a failure surfaces at current()
    if (!this.plain) {
      this.kc = this.build();
      this.kc.catch(() => undefined);
    }
  }

  get describe(): string {
    return this.source.describe;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  current(): Promise<KubeAuthState> {
    if (this.cached && this.now() < this.cached.until) return Promise.resolve(this.cached.state);
    this.pending ??= this.apply().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async apply(): Promise<KubeAuthState> {
    if (this.plain) {
      let opts: https.RequestOptions;
      try {
        opts = staticOptions(this.source as StaticSource);
      } catch (err) {
        throw this.failure(err);
      }
      const state = stateOf(opts, false);
      if (!state.headers.authorization && !state.tls.cert) throw this.anonymous();
      this.cached = { state, until: this.now() + REFRESH_MS };
      return state;
    }
    this.kc ??= this.build();
    const kc = await this.kc;
    const opts: https.RequestOptions = {};
    const applied = kc.applyToHTTPSOptions(opts);
    let timer: SafeTimer | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setSafeTimeout(
        () => reject(new ApplyTimeout(`no credential within ${this.applyTimeoutMs / 1000} s`)),
        this.applyTimeoutMs,
      );
    });
    try {
      await Promise.race([applied, late]);
    } catch (err) {
      applied.catch(() => undefined);
      throw this.failure(err);
    } finally {
      timer?.clear();
    }
    const state = stateOf(opts, Boolean(kc.getCurrentCluster()?.proxyUrl));
    if (!state.headers.authorization && !state.tls.cert) throw this.anonymous();
    this.cached = { state, until: this.now() + REFRESH_MS };
    return state;
  }

  private async build(): Promise<LibKubeConfig> {
    const lib = await import('@kubernetes/client-node');
    const kc = new lib.KubeConfig();
    const s = this.source;
    if (s.kind === 'in-cluster') {
      // what KubeConfig.loadFromCluster builds, with our paths (it reads process.env and fixed paths)
      kc.loadFromOptions({
        clusters: [{ name: 'inCluster', server: s.server, caFile: s.ca, skipTLSVerify: false }],
        users: [
          { name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: s.token } } },
        ],
        contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser' }],
        currentContext: 'inClusterContext',
      });
      return kc;
    }
    const clusters: LibCluster[] = [];
    const users: LibUser[] = [];
    const contexts: LibContext[] = [];
    const add = <T extends { name: string }>(list: T[], item: T) => {
      if (!list.some((x) => x.name === item.name)) list.push(item); // kubectl: the first file wins
    };
    for (const { file, text } of s.files) {
      const one = new lib.KubeConfig();
      try {
        one.loadFromString(text, { onInvalidEntry: 'filter' });
      } catch (err) {
        throw new KubeconfigError(`${file}: ${firstLine(errorMessage(err))}`);
      }
      one.makePathsAbsolute(dirname(file));
      for (const c of one.getClusters()) add(clusters, c);
      for (const u of one.getUsers()) add(users, u);
      for (const c of one.getContexts()) add(contexts, c);
    }
    // kubectl's `tokenFile` is not read by the library's user loader (it knows `token-file`, read
    // once); its tokenFile auth-provider re-reads the file, as client-go does
    const tokenFile = s.userFields.tokenFile;
    const chosen = users.findIndex((u) => u.name === s.user);
    const u = users[chosen];
    if (u && typeof tokenFile === 'string' && !u.token && !u.exec && !u.authProvider)
      users[chosen] = {
        ...u,
        authProvider: { name: 'tokenFile', config: { tokenFile: kubeconfigPath(s.baseOfUser, tokenFile) } },
      };
    kc.loadFromOptions({ clusters, users, contexts, currentContext: s.context });
    return kc;
  }

  private failure(err: unknown): KubeconfigError {
    const s = this.source;
    const msg = firstLine(errorMessage(err)) || 'no message';
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (s.kind === 'files') {
      const exec = (s.userFields.exec ??
        ((s.userFields['auth-provider'] as { config?: { exec?: unknown } } | undefined)?.config?.exec as
          unknown | undefined)) as { command?: string } | undefined;
      if (exec?.command) {
        const what =
          err instanceof ApplyTimeout
            ? 'did not finish'
            : err instanceof SyntaxError
              ? 'printed something that is not an ExecCredential (not JSON)'
              : err instanceof TypeError
                ? 'printed JSON that is not an ExecCredential (no status)'
                : code === 'ENOENT' || code === 'EACCES'
                  ? `cannot be run (${code})`
                  : 'failed';
        return new KubeconfigError(
          `${s.describe}: exec plugin '${exec.command}' (users[name=${s.user}].user.exec.command) ${what}: ${msg}`,
          'run the plugin by hand: it must exit 0 and print an ExecCredential (apiVersion client.authentication.k8s.io/v1) with status.token or status.clientCertificateData and status.clientKeyData',
        );
      }
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')
        return new KubeconfigError(
          `${s.describe}: a file it names cannot be read: ${msg}`,
          'check the paths of the user and cluster (tokenFile, client-certificate, client-key, certificate-authority)',
        );
      return new KubeconfigError(`${s.describe}: authentication failed: ${msg}`);
    }
    return new KubeconfigError(
      `${s.describe}: cannot read the service account: ${msg}`,
      'mount the service account token (automountServiceAccountToken), or set kubernetes.kubeconfig',
    );
  }

  private anonymous(): KubeconfigError {
    const s = this.source;
    if (s.kind === 'files' && s.userFields.exec)
      return new KubeconfigError(
        `${s.describe}: exec plugin '${String((s.userFields.exec as { command?: unknown }).command)}' printed an ExecCredential without status.token or status.clientCertificateData`,
        'run the plugin by hand and check its output; kha-drill never sends an anonymous request',
      );
    return new KubeconfigError(
      `${s.describe}: @kubernetes/client-node produced no credential from it (empty token or token file?)`,
      'kha-drill never sends an anonymous request: check the user’s token, tokenFile, auth-provider or certificate',
    );
  }
}

class ApplyTimeout extends Error {}

type StaticSource = Extract<KubeAuthSource, { kind: 'files' }> & {
  clusterFields: Record<string, unknown>;
  baseOfCluster: string;
};

/**
 * A credential the library would only read, never run or refresh: client certificate and key,
 * token, username/password, `as`, CA, insecure-skip-tls-verify, tls-server-name; no exec plugin,
 * auth-provider, tokenFile (re-read by the library) or proxy-url (the library's agent).
 */
export function isStatic(source: KubeAuthSource): source is StaticSource {
  if (source.kind !== 'files' || !source.clusterFields || source.baseOfCluster === undefined) return false;
  const u = source.userFields;
  const dynamic = ['exec', 'auth-provider', 'tokenFile', 'token-file'].some((k) => u[k] != null);
  return !dynamic && source.clusterFields['proxy-url'] == null;
}

/**
 * What @kubernetes/client-node 1.4's KubeConfig.applyToHTTPSOptions puts into the request
 * options for a static credential (config.js applyHTTPSOptions + applyAuthorizationHeader, paths
 * made absolute against the defining file as makePathsAbsolute does), without importing it.
 * Files are read on every call, as the library reads them on every apply. The unit test compares
 * the two on every field.
 */
export function staticOptions(s: StaticSource): https.RequestOptions {
  const c = s.clusterFields;
  const u = s.userFields;
  const str = (v: unknown): string | undefined =>
    typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  const read = (file: unknown, data: unknown, base: string): Buffer | null => {
    const f = str(file);
    // the library's makeAbsolutePath: relative to the defining file, no ~ expansion
    if (f) return readFileSync(isAbsolute(f) ? f : join(base, f));
    const d = str(data);
    return d ? Buffer.from(d, 'base64') : null;
  };
  const opts: https.RequestOptions = {};
  const headers: Record<string, string> = {};
  if (c['insecure-skip-tls-verify'] === true) opts.rejectUnauthorized = false;
  if (str(c['tls-server-name'])) opts.servername = str(c['tls-server-name']);
  const ca = read(c['certificate-authority'], c['certificate-authority-data'], s.baseOfCluster);
  if (ca) opts.ca = ca;
  const cert = read(u['client-certificate'], u['client-certificate-data'], s.baseOfUser);
  if (cert) opts.cert = cert;
  const key = read(u['client-key'], u['client-key-data'], s.baseOfUser);
  if (key) opts.key = key;
  if (u.as != null) headers['Impersonate-User'] = String(u.as);
  if (str(u.token)) headers.Authorization = `Bearer ${str(u.token)}`;
  opts.headers = headers;
  if (str(u.username)) opts.auth = `${str(u.username)}:${String(u.password)}`;
  return opts;
}

function firstLine(s: string): string {
  const line = s.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function buf(v: unknown): Buffer | undefined {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string' && v.length) return Buffer.from(v);
  if (Array.isArray(v) && v.length) return Buffer.concat(v.map((x) => buf(x) ?? Buffer.alloc(0)));
  return undefined;
}

/** The library's https options → our headers, TLS material and (proxy-url) agent. */
export function stateOf(opts: https.RequestOptions, proxied: boolean): KubeAuthState {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    // a token file's trailing newline would make an invalid header
    if (v !== undefined) headers[k.toLowerCase()] = (Array.isArray(v) ? v.join(', ') : String(v)).trim();
  }
  if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  const tls: TlsMaterial = {};
  const ca = buf(opts.ca);
  const cert = buf(opts.cert);
  const key = buf(opts.key);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (opts.rejectUnauthorized === false) tls.insecure = true;
  if (typeof opts.servername === 'string' && opts.servername) tls.serverName = opts.servername;
  const h = createHash('sha256');
  for (const part of [tls.ca, tls.cert, tls.key]) h.update(part ?? '').update('\0');
  h.update(`${tls.insecure ? 1 : 0}\0${tls.serverName ?? ''}`);
  const state: KubeAuthState = { headers, tls, key: h.digest('hex') };
  if (proxied && opts.agent) {
    state.agent = opts.agent as http.Agent;
    state.key += `:proxy:${Math.random()}`;
  }
  return state;
}

/** A fixed credential (tests, fakes). */
export function staticAuth(
  state: Partial<Omit<KubeAuthState, 'key'>> = {},
  describe = 'test',
): KubeAuthenticator {
  const s: KubeAuthState = { headers: state.headers ?? {}, tls: state.tls ?? {}, key: 'static' };
  if (state.agent) s.agent = state.agent;
  return { current: () => Promise.resolve(s), invalidate: () => undefined, describe };
}

/** Absolute path of a kubeconfig path field, relative to the file that holds it (kubectl's rule). */
export function kubeconfigPath(base: string, p: string): string {
  const e = expandHome(p);
  return isAbsolute(e) ? e : join(base, e);
}
