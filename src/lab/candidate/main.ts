#!/usr/bin/env node
/**
 * Lab stand-in for kube-scheduler / kube-controller-manager: leader election only.
 * Flags: see USAGE in options.ts (`--help`).
 */
import { startCandidate } from './candidate.js';
import { parseCandidateArgs, USAGE } from './options.js';

function main(): void {
  let parsed;
  try {
    parsed = parseCandidateArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(1);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  const candidate = startCandidate(parsed.options, {
    stdout: (line) => void process.stdout.write(`${line}\n`),
    stderr: (line) => void process.stderr.write(`${line}\n`),
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    // As the Go components: the first signal cancels the context, a second one exits at once.
    if (signals > 1) process.exit(1);
    process.stdout.write(`received ${signal}, terminating\n`);
    candidate.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  candidate.done.then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

main();
