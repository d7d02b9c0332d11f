import { parseArgs } from 'node:util';
import { parseGoDuration } from './duration.js';
import { validateTimings } from './elector.js';

export interface CandidateOptions {
  component: string;
  nodeName: string;
  server: string;
  ca?: string;
  clientCert?: string;
  clientKey?: string;
  namespace: string;
  name: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  releaseOnCancel: boolean;
  truthLog?: string;
}

export const USAGE = `Usage: node dist/lab/candidate/main.js --component <name> --node-name <node> --server <url> [options]

A kube-scheduler / kube-controller-manager stand-in for the kha-drill lab: it runs client-go's
leader election on a coordination.k8s.io/v1 Lease and does nothing else.

  --component <name>          kube-scheduler | kube-controller-manager (any name works)
  --node-name <node>          identity is <node>_<uuid>
  --server <url>              http(s)://host:port of the API (the load balancer in the lab)
  --ca <file>                 CA bundle for https
  --client-cert <file>        client certificate (with --client-key)
  --client-key <file>         client key
  --lease <ns/name>           default kube-system/<component>
  --lease-duration <d>        default 15s
  --renew-deadline <d>        default 10s
  --retry-period <d>          default 2s
  --release-on-cancel         release the lease on SIGTERM/SIGINT (default for kube-scheduler)
  --no-release-on-cancel      keep it until it expires (default for everything else)
  --truth-log <file>          append ground-truth JSON lines here
  -h, --help

Durations are Go durations (500ms, 2s, 1m30s). leaseDuration > renewDeadline > 1.2 × retryPeriod.
Exit codes: 0 stopped by a signal, 1 lease lost or bad flags.
`;

/** Release on cancel where the real component does it (kube-scheduler since about 1.21). */
export function defaultReleaseOnCancel(component: string): boolean {
  return component === 'kube-scheduler';
}

export type ParsedArgs = { help: true } | { help: false; options: CandidateOptions };

/** Parses and validates argv; throws an Error whose message lists every problem. */
export function parseCandidateArgs(argv: string[]): ParsedArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      component: { type: 'string' },
      'node-name': { type: 'string' },
      server: { type: 'string' },
      ca: { type: 'string' },
      'client-cert': { type: 'string' },
      'client-key': { type: 'string' },
      lease: { type: 'string' },
      'lease-duration': { type: 'string', default: '15s' },
      'renew-deadline': { type: 'string', default: '10s' },
      'retry-period': { type: 'string', default: '2s' },
      'release-on-cancel': { type: 'boolean' },
      'no-release-on-cancel': { type: 'boolean' },
      'truth-log': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };

  const problems: string[] = [];
  const required = (key: 'component' | 'node-name' | 'server'): string => {
    const v = values[key];
    if (v === undefined || v.length === 0) problems.push(`--${key} is required`);
    return v ?? '';
  };
  const component = required('component');
  const nodeName = required('node-name');
  const server = required('server');
  if (server && !/^https?:\/\/[^/]+/.test(server))
    problems.push(`--server must be http(s)://host:port, got ${server}`);

  const duration = (key: 'lease-duration' | 'renew-deadline' | 'retry-period'): number => {
    const text = values[key] ?? '';
    const ms = parseGoDuration(text);
    if (ms === undefined)
      problems.push(`--${key}: invalid duration ${JSON.stringify(text)} (e.g. 15s, 500ms)`);
    return ms ?? Number.NaN;
  };
  const leaseDurationMs = duration('lease-duration');
  const renewDeadlineMs = duration('renew-deadline');
  const retryPeriodMs = duration('retry-period');
  if (![leaseDurationMs, renewDeadlineMs, retryPeriodMs].some(Number.isNaN)) {
    problems.push(...validateTimings({ leaseDurationMs, renewDeadlineMs, retryPeriodMs }));
  }

  const leaseArg = values.lease ?? `kube-system/${component}`;
  const slash = leaseArg.indexOf('/');
  const namespace = slash >= 0 ? leaseArg.slice(0, slash) : 'kube-system';
  const name = slash >= 0 ? leaseArg.slice(slash + 1) : leaseArg;
  if (!namespace || !name || name.includes('/'))
    problems.push(`--lease must be <namespace>/<name>, got ${leaseArg}`);

  if (values['release-on-cancel'] && values['no-release-on-cancel']) {
    problems.push('--release-on-cancel and --no-release-on-cancel are mutually exclusive');
  }
  const releaseOnCancel = values['release-on-cancel']
    ? true
    : values['no-release-on-cancel']
      ? false
      : defaultReleaseOnCancel(component);

  if (Boolean(values['client-cert']) !== Boolean(values['client-key'])) {
    problems.push('--client-cert and --client-key go together');
  }

  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    help: false,
    options: {
      component,
      nodeName,
      server,
      ca: values.ca,
      clientCert: values['client-cert'],
      clientKey: values['client-key'],
      namespace,
      name,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
      releaseOnCancel,
      truthLog: values['truth-log'],
    },
  };
}
