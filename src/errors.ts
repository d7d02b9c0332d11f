/**
 * Errors are data: a stable code, a message, an optional hint and the exit code
 * the CLI returns for them. One top-level place (cli.ts) turns them into output.
 */

/** Exit codes, stable and documented (README "Exit codes"). */
export const ExitCode = {
  /** every SLO held */
  Ok: 0,
  /** an SLO was violated */
  SloViolated: 1,
  /** bad input or usage; nothing was touched */
  BadInput: 2,
  /** steady state not met before injection; nothing was injected */
  NotSteady: 3,
  /** infrastructure error during the drill; restore ran */
  Infrastructure: 4,
  /** restore failed: the cluster may be degraded */
  RestoreFailed: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What the catalogue says of one error code. */
export interface ErrorEntry {
  exitCode: ExitCode;
  /** what it means, for the README and for whoever reads the code */
  meaning: string;
  /** what to do, when the place that raises it has nothing more specific to say */
  hint?: string;
}

/**
 * The error catalogue: every code the program raises, with its exit code and hint. A KhaError
 * takes its exit code from here; a new code is added here first.
 */
export const ERRORS = {
  // bad input or usage (2): nothing was touched
  E_USAGE: { exitCode: ExitCode.BadInput, meaning: 'bad command-line usage or argument' },
  E_INVALID: { exitCode: ExitCode.BadInput, meaning: 'an input file does not validate (file:line:col each)' },
  E_INPUT_FILE: {
    exitCode: ExitCode.BadInput,
    meaning: 'an input file is not a regular file of bounded size (a FIFO, a device, too large)',
  },
  E_EXPRESSION: { exitCode: ExitCode.BadInput, meaning: 'an SLO or abort expression does not parse' },
  E_KUBECONFIG: {
    exitCode: ExitCode.BadInput,
    meaning: 'the kubeconfig cannot be read or has no usable context',
  },
  E_KUBE_AUTH: {
    exitCode: ExitCode.BadInput,
    meaning: 'the API server refused the kubeconfig credential (401) or lacks a right kha-drill needs (403)',
    hint: 'kha-drill needs get, list and watch on Leases in kube-system (examples/rbac-lease-reader.yaml)',
  },
  E_TIMELINE: {
    exitCode: ExitCode.BadInput,
    meaning: 'a stored timeline.ndjson has a line that is not an event',
  },
  E_JOURNAL: { exitCode: ExitCode.BadInput, meaning: 'the restore journal cannot be read' },
  E_NO_LAB: { exitCode: ExitCode.BadInput, meaning: 'the lab is not part of this installation' },
  // not steady (3): nothing was injected
  E_NOT_STEADY: {
    exitCode: ExitCode.NotSteady,
    meaning: 'a steady-state check did not hold before the fault',
  },
  E_PREFLIGHT: {
    exitCode: ExitCode.NotSteady,
    meaning: 'a master, etcd member or API server did not answer',
  },
  E_ETCD_AUTH: {
    exitCode: ExitCode.NotSteady,
    meaning:
      'etcd refused the etcd user of the client certificate a right kha-drill needs, or its gateway refuses certificate users',
    hint: 'kha-drill needs readwrite on /kha-drill/probe/ (README: etcd credentials and etcd auth)',
  },
  E_JOURNAL_PENDING: {
    exitCode: ExitCode.NotSteady,
    meaning: 'a restore journal of the cluster is pending: the cluster may still be degraded',
  },
  E_RUN_LOCKED: { exitCode: ExitCode.NotSteady, meaning: 'another run on this machine acts on the cluster' },
  E_LOCKED: { exitCode: ExitCode.NotSteady, meaning: 'another run holds the cluster lock (--lock)' },
  E_LOCK_UNREACHABLE: {
    exitCode: ExitCode.NotSteady,
    meaning: '--lock: no master reachable to hold the lock',
  },
  E_LOCK: {
    exitCode: ExitCode.NotSteady,
    meaning: '--lock: the lock file cannot be created',
    hint: 'choose a writable path with --lock-file',
  },
  // infrastructure (4): restore ran
  E_INTERRUPTED: { exitCode: ExitCode.Infrastructure, meaning: 'SIGINT, SIGTERM or SIGHUP stopped the run' },
  E_TARGET: {
    exitCode: ExitCode.Infrastructure,
    meaning: 'a symbolic target did not resolve against the cluster',
  },
  E_PEERS: {
    exitCode: ExitCode.Infrastructure,
    meaning: 'a partition’s peer addresses cannot be read from etcd’s member list or resolved',
  },
  E_NO_MASTER: {
    exitCode: ExitCode.Infrastructure,
    meaning: 'a step or undo names a master the inventory lacks',
  },
  E_WAIT_NOT_MET: {
    exitCode: ExitCode.Infrastructure,
    meaning: 'a waitFor step’s condition did not hold in time',
  },
  E_MICROTIME: { exitCode: ExitCode.Infrastructure, meaning: 'a Lease time is not RFC 3339 MicroTime' },
  E_SSH_KEY: { exitCode: ExitCode.Infrastructure, meaning: 'the SSH identity cannot be read or decrypted' },
  E_SSH_CONNECT: { exitCode: ExitCode.Infrastructure, meaning: 'an SSH connection failed' },
  E_SSH_PROXY: {
    exitCode: ExitCode.Infrastructure,
    meaning: 'a ProxyCommand exited before the SSH connection was made',
  },
  E_SSH_TUNNEL: {
    exitCode: ExitCode.Infrastructure,
    meaning: 'a port forward over an SSH connection could not be opened',
  },
  E_SSH_CONFIG: {
    exitCode: ExitCode.BadInput,
    meaning: 'the SSH config file gives a value kha-drill cannot use for a master',
  },
  E_SSH_AUTH: { exitCode: ExitCode.Infrastructure, meaning: 'SSH authentication failed' },
  E_SSH_HOSTKEY: { exitCode: ExitCode.Infrastructure, meaning: 'a host key is unknown, changed or revoked' },
  E_SSH_EXEC: { exitCode: ExitCode.Infrastructure, meaning: 'a remote command could not be started' },
  E_SSH_COMMAND: {
    exitCode: ExitCode.Infrastructure,
    meaning: 'a remote command exited non-zero or timed out',
  },
} as const satisfies Record<string, ErrorEntry>;
export type ErrorCode = keyof typeof ERRORS;

export interface KhaErrorOptions {
  hint?: string;
  cause?: unknown;
}

/** The base of every error the program raises on purpose: code, exit code (from ERRORS), hint. */
export class KhaError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: KhaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const entry: ErrorEntry = ERRORS[code];
    this.name = 'KhaError';
    this.code = code;
    this.exitCode = entry.exitCode;
    this.hint = options.hint ?? entry.hint;
  }
}

/** Bad input or usage (exit 2). */
export class UsageError extends KhaError {
  constructor(message: string, options: KhaErrorOptions = {}) {
    super('E_USAGE', message, options);
    this.name = 'UsageError';
  }
}

/** One problem found in an input file; `line`/`col` are 1-based. */
export interface Problem {
  file: string;
  line?: number;
  col?: number;
  /** dotted path inside the document, e.g. `masters[1].host` */
  path?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.col ?? 1}` : p.file;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** Every problem found in one or more input files (exit 2). */
export class ValidationError extends KhaError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('E_INVALID', problems.map(formatProblem).join('\n'));
    this.name = 'ValidationError';
    this.problems = problems;
  }
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
