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

export interface KhaErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class KhaError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(code: string, exitCode: ExitCode, message: string, options: KhaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KhaError';
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/** Bad input or usage (exit 2). */
export class UsageError extends KhaError {
  constructor(message: string, options: KhaErrorOptions = {}) {
    super('E_USAGE', ExitCode.BadInput, message, options);
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
    super('E_INVALID', ExitCode.BadInput, problems.map(formatProblem).join('\n'));
    this.name = 'ValidationError';
    this.problems = problems;
  }
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
