/**
 * SSH failures as data: host, command, exit status and a trimmed stderr. Never key material:
 * messages are built from names, addresses, fingerprints and remote output only.
 */
import { KhaError, type ErrorCode, type KhaErrorOptions } from '../errors.js';
import { redactText } from '../text/redact.js';

/**
 * Keeps the last part of remote output short enough for one message line, redacted first: a
 * secret cut in the middle would no longer look like one.
 */
export function trimOutput(text: string, max = 400): string {
  const t = redactText(text).trim();
  return t.length <= max ? t : `…${t.slice(t.length - max)}`;
}

export interface SshErrorDetails {
  /** master name */
  master: string;
  /** host:port */
  address: string;
  command?: string;
  exitCode?: number | null;
  signal?: string | null;
  stderr?: string;
  timedOut?: boolean;
}

export class SshError extends KhaError {
  readonly details: SshErrorDetails;
  constructor(code: ErrorCode, message: string, details: SshErrorDetails, options: KhaErrorOptions = {}) {
    super(code, message, options);
    this.name = 'SshError';
    this.details = details;
  }
}

/** The host key could not be verified (unknown, changed or revoked). */
export class HostKeyError extends SshError {
  constructor(message: string, details: SshErrorDetails, hint: string) {
    super('E_SSH_HOSTKEY', message, details, { hint });
    this.name = 'HostKeyError';
  }
}

/**
 * A remote command exited non-zero, was killed or timed out. `message` replaces the default
 * wording where a caller's is part of a stored format (the step runner's, in reports).
 */
export class RemoteCommandError extends SshError {
  constructor(details: SshErrorDetails & { command: string }, message?: string) {
    const status = details.timedOut
      ? 'timed out and was killed'
      : details.signal
        ? `was killed by ${details.signal}`
        : `exited ${details.exitCode ?? 'without a status'}`;
    const err = details.stderr ? `: ${trimOutput(details.stderr, 300)}` : '';
    super(
      'E_SSH_COMMAND',
      message ?? `on ${details.master} (${details.address}) \`${details.command}\` ${status}${err}`,
      details,
    );
    this.name = 'RemoteCommandError';
  }
}
