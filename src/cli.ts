/**
 * The one place that turns commands' results and errors into output and exit codes.
 * Each command lives in commands/<name>/ and registers itself on the program.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, KhaError } from './errors.js';
import { processContext, type Context } from './context.js';
import { VERSION } from './version.js';
import { commands } from './commands/index.js';
import { redactingContext } from './report/redacting-output.js';

export async function main(argv: string[], processCtx: Context = processContext()): Promise<number> {
  // the terminal is a writer like the reports: nothing reaches it unredacted
  const ctx = redactingContext(processCtx);
  let exitCode: number = ExitCode.Ok;
  const program = new Command('kha-drill')
    .description('Kubernetes control-plane failover drills: inject, observe, restore, report.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)');
  for (const register of commands) {
    register(program, ctx, (code) => {
      exitCode = code;
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    return report(err, ctx);
  }
  return exitCode;
}

function report(err: unknown, ctx: Context): number {
  if (err instanceof CommanderError) {
    // --help and --version end through here with exit code 0
    return err.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
  }
  if (err instanceof KhaError) {
    ctx.stderr.write(`kha-drill: ${err.message}\n`);
    if (err.hint) ctx.stderr.write(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  ctx.stderr.write(`kha-drill: internal error (please report it):\n${stack}\n`);
  return ExitCode.Infrastructure;
}
