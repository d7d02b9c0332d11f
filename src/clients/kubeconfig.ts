/**
 * Kubeconfig → the connection kha-drill uses, as kubectl finds it: the inventory's file, else
 * every file of KUBECONFIG merged (the first file to name a context, cluster or user wins, as
 * kubectl merges), else ~/.kube/config, else the pod's in-cluster service account. The selected
 * context, cluster and user are checked here (each field named with file:line:col), and
 * authentication is left to @kubernetes/client-node (kube-auth.ts). A field the library cannot
 * honour is an error, never an anonymous request.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { readBoundedFile } from '../fs/read-file.js';
import { KubeAuth, kubeconfigPath, type KubeAuthSource, type KubeAuthenticator } from './kube-auth.js';
import { KubeconfigError } from './kubeconfig-error.js';
import { expandHome } from './tls.js';

export interface KubeConnection {
  server: string;
  /** the context used */
  context: string;
  namespace?: string;
  /** the kubeconfig user (for messages) */
  user: string;
  /** where the settings came from: the files merged, or `in-cluster (<dir>)` */
  source: string;
  /** the library's authentication of every request (headers, TLS material, proxy agent) */
  auth: KubeAuthenticator;
}

export { KubeconfigError };

type Env = Record<string, string | undefined>;
type Dict = Record<string, unknown>;

/** Where the pod's service account is mounted; KHA_SERVICEACCOUNT_DIR moves it (tests, chroots). */
export const SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The fields of a kubeconfig cluster and user that @kubernetes/client-node honours. */
const CLUSTER_FIELDS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'proxy-url',
  'disable-compression', // we never ask for compression
  'extensions',
]);
const USER_FIELDS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
  'username',
  'password',
  'auth-provider',
  'exec',
  'as',
  'extensions',
]);
const AUTH_FIELDS = [
  'client-certificate',
  'client-certificate-data',
  'token',
  'tokenFile',
  'username',
  'auth-provider',
  'exec',
];
/** auth-provider names the library implements (exec- and tokenFile-style configs aside) */
const AUTH_PROVIDERS = new Set(['oidc', 'azure', 'gcp']);

/** The kubeconfig files kubectl would read, in order (KUBECONFIG's list, else ~/.kube/config). */
export function kubeconfigFiles(env: Env = process.env): string[] {
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p.length > 0);
  return list.length ? list : [join(env.HOME ?? homedir(), '.kube', 'config')];
}

/** The first file kubectl would read (kept for callers that show one path). */
export function defaultKubeconfigPath(env: Env = process.env): string {
  return kubeconfigFiles(env)[0] as string;
}

export interface LoadOptions {
  /** an explicit kubeconfig (inventory kubernetes.kubeconfig): only this file, which must exist */
  file?: string;
  context?: string;
  env?: Env;
  /** the working directory relative KUBECONFIG entries are resolved against */
  cwd?: string;
}

interface ParsedFile {
  file: string;
  doc: Document;
  lines: LineCounter;
  text: string;
}

export function loadKubeconfig(options: LoadOptions): KubeConnection {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const abs = (p: string) => resolve(cwd, expandHome(p));
  if (options.file) return fromFiles([readKubeconfig(abs(options.file))], options.context);
  if (env.KUBECONFIG && kubeconfigFiles(env).length) {
    const names = kubeconfigFiles(env).map(abs);
    // kubectl skips the entries of KUBECONFIG that do not exist
    const present = names.filter((f) => existsSync(f));
    if (!present.length)
      throw new KubeconfigError(
        `KUBECONFIG names no existing file (${names.join(delimiter)})`,
        'check the KUBECONFIG variable, or set kubernetes.kubeconfig in the inventory',
      );
    return fromFiles(present.map(readKubeconfig), options.context);
  }
  const home = kubeconfigFiles(env)[0] as string;
  if (existsSync(home)) return fromFiles([readKubeconfig(home)], options.context);
  if (env.KUBERNETES_SERVICE_HOST) return inCluster(env, options.context);
  throw new KubeconfigError(
    `no kubeconfig: ${home} does not exist, KUBECONFIG is not set and this is not a pod (no KUBERNETES_SERVICE_HOST)`,
    'set kubernetes.kubeconfig in the inventory or KUBECONFIG',
  );
}

function readKubeconfig(file: string): ParsedFile {
  const read = readBoundedFile(file, { what: 'a kubeconfig' });
  if (!read.ok)
    throw new KubeconfigError(
      `cannot read kubeconfig ${file}: ${read.message}`,
      'check kubernetes.kubeconfig in the inventory or KUBECONFIG',
    );
  return parseKubeconfigText(read.data.toString('utf8'), file);
}

export function parseKubeconfigText(text: string, file: string): ParsedFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const err = doc.errors[0];
  if (err) {
    const at = lines.linePos(err.pos[0]);
    throw new KubeconfigError(`${file}:${at.line}:${at.col}: not YAML: ${err.message.split('\n')[0]}`);
  }
  if (doc.contents !== null && !isMap(doc.contents))
    throw new KubeconfigError(
      `${file}:1:1: a kubeconfig is a mapping (apiVersion, clusters, users, contexts)`,
    );
  return { file, doc, lines, text };
}

interface Found {
  from: ParsedFile;
  index: number;
  name: string;
  body: Dict;
}

/** The first entry of `list` named `name` across the files (kubectl's merge: first file wins). */
function findEntry(files: ParsedFile[], list: string, field: string, name: string): Found | undefined {
  for (const from of files) {
    const entries = from.doc.get(list);
    const js = (from.doc.toJS() as Dict | null)?.[list];
    if (!entries || !Array.isArray(js)) continue;
    const index = (js as Dict[]).findIndex((e) => e?.name === name);
    if (index >= 0) {
      const body = (js as Dict[])[index]?.[field];
      return { from, index, name, body: body && typeof body === 'object' ? (body as Dict) : {} };
    }
  }
  return undefined;
}

/** file:line:col of the key `list[index].field.key` (or of the entry when the key is absent). */
function where(f: Found, list: string, field: string, key?: string): string {
  const body = f.from.doc.getIn([list, f.index, field], true);
  const pair =
    key !== undefined && isMap(body)
      ? body.items.find((p) => isScalar(p.key) && p.key.value === key)?.key
      : undefined;
  const node = pair ?? body ?? f.from.doc.getIn([list, f.index], true);
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  const at = range ? f.from.lines.linePos(range[0]) : { line: 1, col: 1 };
  return `${f.from.file}:${at.line}:${at.col}`;
}

function fromFiles(files: ParsedFile[], wanted: string | undefined): KubeConnection {
  const source = files.map((f) => f.file).join(delimiter);
  const current = files
    .map((f) => (f.doc.toJS() as Dict | null)?.['current-context'])
    .find((c): c is string => typeof c === 'string' && c.length > 0);
  const contextName = wanted ?? current;
  if (!contextName)
    throw new KubeconfigError(
      `${source}: no context given and no current-context`,
      'set kubernetes.context in the inventory, or current-context in the kubeconfig',
    );
  const ctx = findEntry(files, 'contexts', 'context', contextName);
  if (!ctx) {
    const known = files.flatMap((f) => {
      const list = (f.doc.toJS() as Dict | null)?.contexts;
      return Array.isArray(list) ? (list as Dict[]).map((e) => String(e?.name)) : [];
    });
    throw new KubeconfigError(
      `context '${contextName}' not found in ${source} (contexts: ${known.join(', ') || 'none'})`,
      wanted
        ? 'check --context or kubernetes.context in the inventory'
        : 'check current-context in the kubeconfig',
    );
  }
  const clusterName = String(ctx.body.cluster ?? '');
  const cluster = findEntry(files, 'clusters', 'cluster', clusterName);
  if (!cluster)
    throw new KubeconfigError(
      `${where(ctx, 'contexts', 'context', 'cluster')}: context '${contextName}' names cluster '${clusterName}', which no file of ${source} defines`,
    );
  const userName = String(ctx.body.user ?? '');
  const user = findEntry(files, 'users', 'user', userName);
  if (!user)
    throw new KubeconfigError(
      `${where(ctx, 'contexts', 'context', 'user')}: context '${contextName}' names user '${userName}', which no file of ${source} defines (requests would be anonymous)`,
    );
  checkCluster(cluster, clusterName);
  checkUser(user, userName);
  const server = String(cluster.body.server).replace(/\/+$/, '');
  const authSource: KubeAuthSource = {
    kind: 'files',
    files: files.map((f) => ({ file: f.file, text: f.text })),
    context: contextName,
    user: userName,
    userFields: user.body,
    describe: `kubeconfig user '${userName}' (context '${contextName}', ${where(user, 'users', 'user')})`,
    baseOfUser: dirname(user.from.file),
    clusterFields: cluster.body,
    baseOfCluster: dirname(cluster.from.file),
  };
  const out: KubeConnection = {
    server,
    context: contextName,
    user: userName,
    source,
    auth: new KubeAuth(authSource),
  };
  if (typeof ctx.body.namespace === 'string') out.namespace = ctx.body.namespace;
  return out;
}

function unsupported(f: Found, list: string, field: string, key: string, why: string): KubeconfigError {
  return new KubeconfigError(
    `${where(f, list, field, key)}: ${list}[name=${f.name}].${field}.${key}: ${why}`,
    'kha-drill authenticates through @kubernetes/client-node 1.4; remove the field or use a credential it supports (token, tokenFile, client certificate, exec plugin, oidc)',
  );
}

/**
 * Every file the cluster or user names must be a regular file of bounded size: the library reads
 * them with readFileSync, which a FIFO or /dev/zero would hang or exhaust.
 */
function checkFiles(f: Found, list: string, field: string, keys: string[]): void {
  for (const key of keys) {
    const p = f.body[key];
    if (typeof p !== 'string' || !p) continue;
    const read = readBoundedFile(kubeconfigPath(dirname(f.from.file), p), { what: `a ${key} file` });
    if (!read.ok)
      throw new KubeconfigError(
        `${where(f, list, field, key)}: ${list}[name=${f.name}].${field}.${key} ${p}: ${read.message}`,
        `check ${key} in ${f.from.file}`,
      );
  }
}

function checkCluster(c: Found, name: string): void {
  for (const key of Object.keys(c.body))
    if (!CLUSTER_FIELDS.has(key)) throw unsupported(c, 'clusters', 'cluster', key, 'not supported');
  const server = c.body.server;
  if (typeof server !== 'string' || !/^https?:\/\/[^/]/.test(server))
    throw new KubeconfigError(
      `${where(c, 'clusters', 'cluster', 'server')}: cluster '${name}' has no http(s) server`,
    );
  checkFiles(c, 'clusters', 'cluster', ['certificate-authority']);
  if (server.startsWith('http:') && c.body['insecure-skip-tls-verify'] !== true)
    throw unsupported(
      c,
      'clusters',
      'cluster',
      'server',
      'an http:// server needs insecure-skip-tls-verify: true (the library refuses it otherwise)',
    );
}

function checkUser(u: Found, name: string): void {
  for (const key of Object.keys(u.body)) {
    if (!USER_FIELDS.has(key))
      throw unsupported(
        u,
        'users',
        'user',
        key,
        key.startsWith('as-') ? 'impersonation beyond `as` is not supported' : 'not supported',
      );
  }
  const provider = u.body['auth-provider'] as Dict | undefined;
  if (provider) {
    const config = (provider.config ?? {}) as Dict;
    const known =
      AUTH_PROVIDERS.has(String(provider.name)) ||
      config.exec !== undefined ||
      config.tokenFile !== undefined;
    if (!known)
      throw unsupported(
        u,
        'users',
        'user',
        'auth-provider',
        `auth-provider '${String(provider.name)}' is not supported`,
      );
  }
  const exec = u.body.exec as Dict | undefined;
  if (exec) {
    if (typeof exec.command !== 'string' || !exec.command)
      throw unsupported(u, 'users', 'user', 'exec', 'exec.command is missing');
    if (exec.provideClusterInfo === true)
      throw unsupported(
        u,
        'users',
        'user',
        'exec',
        'exec.provideClusterInfo is not supported (no KUBERNETES_EXEC_INFO)',
      );
    if (exec.interactiveMode === 'Always')
      throw unsupported(
        u,
        'users',
        'user',
        'exec',
        'exec.interactiveMode: Always needs a terminal kha-drill does not give',
      );
  }
  if (typeof u.body.username === 'string' && typeof u.body.password !== 'string')
    throw unsupported(u, 'users', 'user', 'username', 'username without password');
  if (!AUTH_FIELDS.some((k) => u.body[k] !== undefined && u.body[k] !== null && u.body[k] !== ''))
    throw new KubeconfigError(
      `${where(u, 'users', 'user')}: user '${name}' has no credential (token, tokenFile, client-certificate, exec, auth-provider, username/password): requests would be anonymous`,
    );
  const tokenFile = u.body.tokenFile;
  if (tokenFile !== undefined && typeof tokenFile !== 'string')
    throw unsupported(u, 'users', 'user', 'tokenFile', 'tokenFile must be a path');
  checkFiles(u, 'users', 'user', ['client-certificate', 'client-key', 'tokenFile']);
}

/** The pod's settings: KUBERNETES_SERVICE_HOST/PORT and the mounted service-account files. */
function inCluster(env: Env, wanted: string | undefined): KubeConnection {
  const dir = env.KHA_SERVICEACCOUNT_DIR ?? SERVICEACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST as string;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const token = join(dir, 'token');
  const ca = join(dir, 'ca.crt');
  for (const f of [token, ca]) {
    const read = readBoundedFile(f, { what: 'a service-account file' });
    if (!read.ok)
      throw new KubeconfigError(
        read.reason === 'missing'
          ? `in-cluster: KUBERNETES_SERVICE_HOST is set but ${f} does not exist`
          : `in-cluster: ${f}: ${read.message}`,
        'mount the service account token (automountServiceAccountToken), or set kubernetes.kubeconfig',
      );
  }
  if (wanted)
    throw new KubeconfigError(
      `context '${wanted}' given, but there is no kubeconfig (in-cluster settings have no contexts)`,
      'drop kubernetes.context, or set kubernetes.kubeconfig',
    );
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const nsFile = join(dir, 'namespace');
  const out: KubeConnection = {
    server: `https://${hostPart}:${port}`,
    context: 'in-cluster',
    user: 'service account',
    source: `in-cluster (${dir})`,
    auth: new KubeAuth({
      kind: 'in-cluster',
      server: `https://${hostPart}:${port}`,
      ca,
      token,
      namespaceFile: existsSync(nsFile) ? nsFile : undefined,
      describe: `the in-cluster service account (token ${token})`,
    }),
  };
  return out;
}
