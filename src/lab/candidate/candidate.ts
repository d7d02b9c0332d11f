import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { LeaderElector, type ElectorEvent, type ElectorOutcome } from './elector.js';
import { HttpLeaseApi } from './http-lease-api.js';
import type { LeaseApi } from './lease.js';
import { LeaseLock } from './lease-lock.js';
import { nowMicroTime } from '../../kube/microtime.js';
import type { CandidateOptions } from './options.js';
import { RateLimiter, TruthLog, type TruthInput } from './truth-log.js';
import { sleep } from '../../time/sleep.js';

export interface CandidateIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Transport override (tests); default: HTTP(S) to options.server. */
  api?: LeaseApi;
  /** Identity override (tests); default `<nodeName>_<uuid>`. */
  identity?: string;
}

export interface RunningCandidate {
  identity: string;
  elector: LeaderElector;
  /** What SIGTERM/SIGINT do: stop, releasing first where configured. */
  stop(): void;
  /** Resolves with the exit code: 0 after stop, 1 after a lost lease. */
  done: Promise<number>;
}

const EXIT_STOPPED = 0;
const EXIT_LOST = 1;

/** Starts one candidate; everything it touches of the process comes in through `io`. */
export function startCandidate(options: CandidateOptions, io: CandidateIo): RunningCandidate {
  const identity = io.identity ?? `${options.nodeName}_${randomUUID()}`;
  const leaseRef = `${options.namespace}/${options.name}`;
  const httpApi =
    io.api === undefined
      ? new HttpLeaseApi({
          server: options.server,
          ca: readOptional(options.ca),
          cert: readOptional(options.clientCert),
          key: readOptional(options.clientKey),
          userAgent: `${options.component}/kha-lab (leader-election)`,
        })
      : undefined;
  const api = io.api ?? (httpApi as LeaseApi);
  const truth = new TruthLog(options.truthLog, identity, leaseRef);
  const stderrErrors = new RateLimiter(1000);
  const say = (text: string): void =>
    io.stdout(`${nowMicroTime()} ${options.component} ${identity}: ${text}`);

  const record = (input: TruthInput): void => {
    truth.write(input);
  };
  const onEvent = (e: ElectorEvent): void => {
    record(e);
    switch (e.event) {
      case 'acquired':
        say(
          `successfully acquired lease ${leaseRef} (transitions ${e.transitions}, rv ${e.resourceVersion})`,
        );
        break;
      case 'lost':
        say(`leaderelection lost: ${e.message ?? ''}`);
        break;
      case 'released':
        say(`released lease ${leaseRef} (rv ${e.resourceVersion})`);
        break;
      case 'error': {
        const suppressed = stderrErrors.take();
        if (suppressed !== undefined) {
          io.stderr(
            `${nowMicroTime()} ${options.component} ${identity}: ${e.message ?? 'error'}${suppressed > 0 ? ` (${suppressed} similar suppressed)` : ''}`,
          );
        }
        break;
      }
      case 'renewed':
        break;
    }
  };

  const lock = new LeaseLock(api, options.namespace, options.name, identity);
  const elector = new LeaderElector(
    {
      lock,
      leaseDurationMs: options.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs,
      releaseOnCancel: options.releaseOnCancel,
    },
    {
      now: () => performance.now(),
      microTime: nowMicroTime,
      sleep,
      random: Math.random,
      emit: onEvent,
      onNewLeader: (holder) => say(holder ? `new leader observed: ${holder}` : `lease ${leaseRef} is free`),
    },
  );

  const controller = new AbortController();
  record({ event: 'started', holder: '', transitions: null, resourceVersion: null });
  say(
    `started; attempting to acquire leader lease ${leaseRef} (leaseDuration ${options.leaseDurationMs}ms, ` +
      `renewDeadline ${options.renewDeadlineMs}ms, retryPeriod ${options.retryPeriodMs}ms, ` +
      `releaseOnCancel ${options.releaseOnCancel})`,
  );

  const done = elector
    .run(controller.signal)
    .then((outcome: ElectorOutcome): number => {
      const observed = elector.getObservedRecord();
      record({
        event: 'stopped',
        holder: observed.holderIdentity,
        transitions: observed.holderIdentity || outcome === 'released' ? observed.leaderTransitions : null,
        resourceVersion: lock.resourceVersion(),
        message: outcome,
      });
      say(`stopped (${outcome})`);
      return outcome === 'lost' ? EXIT_LOST : EXIT_STOPPED;
    })
    .finally(() => {
      truth.close();
      httpApi?.close();
    });

  return { identity, elector, stop: () => controller.abort(), done };
}

function readOptional(file: string | undefined): Buffer | undefined {
  return file === undefined ? undefined : fs.readFileSync(file);
}
