/**
 * The terminal is a writer too: a command's streams with every chunk passed through
 * `redactText`, as reports, the timeline and the journal are (text/redact.ts is the one place).
 */
import type { Context, Output } from '../context.js';
import { redactText } from '../text/redact.js';

function redacting(out: Output): Output {
  return {
    write: (s) => out.write(redactText(s)),
    get isTTY() {
      return out.isTTY;
    },
  };
}

/** `ctx` whose stdout and stderr redact secrets before they reach the terminal. */
export function redactingContext(ctx: Context): Context {
  return { ...ctx, stdout: redacting(ctx.stdout), stderr: redacting(ctx.stderr) };
}
