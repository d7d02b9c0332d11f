/**
 * The master's clock around an inject command: the command runs in a subshell between two
 * `date +%s.%N` of the same shell, so the master itself says when it started and ended the
 * command, in one SSH round trip. The markers are taken out of the output again.
 */

const START = '@kha-t0';
const END = '@kha-t1';

/** `command` with the master's clock printed just before and just after it; its exit status kept. */
export function bracketCommand(command: string): string {
  return [
    `printf '${START} %s\\n' "$(date +%s.%N)"`,
    // a subshell: an `exit` in the command ends it, not the bracket
    `(\n${command}\n)`,
    'kha_rc=$?',
    `printf '\\n${END} %s\\n' "$(date +%s.%N)"`,
    'exit $kha_rc',
  ].join('; ');
}

export interface Bracketed {
  /** seconds since the epoch, on the master's clock */
  start: number | null;
  end: number | null;
  /** stdout without the markers */
  stdout: string;
}

const startRe = new RegExp(`^${START} (\\d+\\.\\d+)\\n`);
const endRe = new RegExp(`\\n?${END} (\\d+\\.\\d+)\\n?$`);

/** Reads the markers back (absent ones are null: the command was killed before its end). */
export function parseBracket(stdout: string): Bracketed {
  let out = stdout;
  let start: number | null = null;
  let end: number | null = null;
  const s = startRe.exec(out);
  if (s) {
    start = Number(s[1]);
    out = out.slice(s[0].length);
  }
  const e = endRe.exec(out);
  if (e) {
    end = Number(e[1]);
    out = out.slice(0, e.index);
  }
  return { start, end, stdout: out };
}
