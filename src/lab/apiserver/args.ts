/** Command-line flags of the lab apiserver (pure: argv in, options or a usage error out). */
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../../config/duration.js';
import { UsageError } from '../../errors.js';

export const USAGE = `usage: node dist/lab/apiserver/main.js --name master-1 --listen 127.0.10.1:6443 --etcd http://127.0.10.1:2379
  [--etcd-ca F --etcd-cert F --etcd-key F] [--tls-cert F --tls-key F [--client-ca F]]
  [--compact-interval 300s] [--bookmark-interval 10s] [--watch-timeout 30m] [--etcd-timeout 5s]

A stand-in for kube-apiserver serving the Lease API (coordination.k8s.io/v1) from etcd.
  --name               name used in log lines (the master)
  --listen HOST:PORT   address to serve on
  --etcd URL[,URL]     etcd client URL(s); kubeadm's stacked etcd means the local member only
  --etcd-ca/-cert/-key client TLS for https:// etcd URLs
  --tls-cert/--tls-key serve HTTPS instead of HTTP
  --client-ca F        require client certificates signed by F for the API (health and /version stay public)
  --compact-interval   etcd compaction period, 0 to disable (default 300s, like kube-apiserver)
  --bookmark-interval  how often watches with allowWatchBookmarks get a BOOKMARK (default 10s)
  --watch-timeout      watch length when the client sends no timeoutSeconds (default 30–60 min at random)
  --etcd-timeout       deadline of each etcd call (default 5s)`;

export interface ApiServerArgs {
  name: string;
  host: string;
  port: number;
  etcd: string[];
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  compactIntervalMs: number;
  bookmarkIntervalMs: number;
  watchTimeoutMs?: number;
  etcdTimeoutMs: number;
  help: boolean;
}

function duration(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (v === '0') return 0;
  try {
    return parseDurationMs(v);
  } catch {
    throw new UsageError(`--${flag}: invalid duration '${v}' (e.g. 300s, 5m, 500ms)`);
  }
}

export function parseApiServerArgs(argv: string[]): ApiServerArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        name: { type: 'string' },
        listen: { type: 'string' },
        etcd: { type: 'string' },
        'etcd-ca': { type: 'string' },
        'etcd-cert': { type: 'string' },
        'etcd-key': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'client-ca': { type: 'string' },
        'compact-interval': { type: 'string' },
        'bookmark-interval': { type: 'string' },
        'watch-timeout': { type: 'string' },
        'etcd-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const help = values.help === true;
  if (help) {
    return {
      name: '',
      host: '',
      port: 0,
      etcd: [],
      compactIntervalMs: 0,
      bookmarkIntervalMs: 0,
      etcdTimeoutMs: 0,
      help,
    };
  }
  if (!values.listen) throw new UsageError('--listen HOST:PORT is required');
  const m = /^(.+):(\d+)$/.exec(values.listen);
  if (!m || Number(m[2]) > 65535)
    throw new UsageError(`--listen: expected HOST:PORT, got '${values.listen}'`);
  if (!values.etcd) throw new UsageError('--etcd URL is required');
  const etcd = values.etcd
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of etcd) {
    if (!/^https?:\/\/[^/]+\/?$/.test(u))
      throw new UsageError(`--etcd: expected http(s)://host:port, got '${u}'`);
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  if (values['client-ca'] && !values['tls-cert'])
    throw new UsageError('--client-ca needs --tls-cert and --tls-key');
  const watchTimeoutMs = duration('watch-timeout', values['watch-timeout'], 0);
  const args: ApiServerArgs = {
    name: values.name ?? 'lab-apiserver',
    host: m[1]!.replace(/^\[(.*)\]$/, '$1'),
    port: Number(m[2]),
    etcd,
    etcdCa: values['etcd-ca'],
    etcdCert: values['etcd-cert'],
    etcdKey: values['etcd-key'],
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    clientCa: values['client-ca'],
    compactIntervalMs: duration('compact-interval', values['compact-interval'], 300_000),
    bookmarkIntervalMs: duration('bookmark-interval', values['bookmark-interval'], 10_000),
    etcdTimeoutMs: duration('etcd-timeout', values['etcd-timeout'], 5_000),
    help,
  };
  if (watchTimeoutMs > 0) args.watchTimeoutMs = watchTimeoutMs;
  if (args.bookmarkIntervalMs <= 0) throw new UsageError('--bookmark-interval must be positive');
  if (args.etcdTimeoutMs <= 0) throw new UsageError('--etcd-timeout must be positive');
  return args;
}
