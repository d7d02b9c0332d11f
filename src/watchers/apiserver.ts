/**
 * API server watcher: `/readyz` of each master's API server and of the load balancer
 * (`master: 'lb'`), each on its own poll loop with a short timeout. A failed probe is a
 * measurement (the server is down), not blindness.
 */
import { parseDurationMs } from '../text/duration.js';
import { KubeProbe, type ProbeResult } from '../clients/probe.js';
import { errorMessage } from '../errors.js';
import type { EventSink } from '../timeline/timeline.js';
import { kubeConnectionOf } from './kube-context.js';
import { startPolling } from './loop.js';
import type { StopWatcher, WatcherContext } from './types.js';

export type Probe = (timeoutMs: number) => Promise<ProbeResult>;

export function watchApiservers(
  timeline: EventSink,
  targets: { master: string; probe: Probe }[],
  options: { intervalMs: number; timeoutMs: number },
): StopWatcher {
  const stops = targets.map(({ master, probe }) =>
    startPolling(
      options.intervalMs,
      async (signal) => {
        const r = await probe(options.timeoutMs);
        if (signal.aborted) return;
        const e: {
          kind: 'api';
          master: string;
          ok: boolean;
          latencyMs: number;
          status?: number;
          error?: string;
        } = {
          kind: 'api',
          master,
          ok: r.ok,
          latencyMs: r.latencyMs,
        };
        if (r.status !== undefined) e.status = r.status;
        if (r.error !== undefined) e.error = r.error;
        timeline.append(e);
      },
      { lastLook: true },
    ),
  );
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

export function startApiserverWatcher(
  spec: { interval?: string; timeout?: string },
  ctx: WatcherContext,
): StopWatcher {
  const conn = kubeConnectionOf(ctx);
  const endpoints = [
    ...ctx.inventory.masters.map((m) => ({ master: m.name, url: m.apiserver })),
    { master: 'lb', url: ctx.inventory.kubernetes.loadBalancer },
  ];
  // one kept-alive connection per server: a probe every 100 ms costs a write and a read
  const probes = endpoints.map(({ master, url }) => ({ master, prober: new KubeProbe(url, conn.auth) }));
  const stop = watchApiservers(
    ctx.timeline,
    probes.map(({ master, prober }) => ({
      master,
      // a credential that cannot be had mid-drill (exec plugin failing) is a failed probe here
      probe: (timeoutMs: number) =>
        prober.probe('/readyz', timeoutMs).catch((err: unknown): ProbeResult => ({
          ok: false,
          error: errorMessage(err),
          latencyMs: 0,
        })),
    })),
    {
      intervalMs: parseDurationMs(spec.interval ?? '100ms'),
      timeoutMs: parseDurationMs(spec.timeout ?? '1s'),
    },
  );
  return async () => {
    await stop();
    for (const p of probes) p.prober.close();
  };
}
