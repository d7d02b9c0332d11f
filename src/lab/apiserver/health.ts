/** /healthz, /livez, /readyz in kube-apiserver's text format. */
import type { EtcdClient } from './etcd.js';

export interface CheckResult {
  name: string;
  ok: boolean;
}

/**
 * kube-apiserver's healthz handler: `ok` when everything passes; with ?verbose one `[+]name ok` line per
 * check; a failure always lists the checks, reasons withheld, and answers 500.
 */
export function renderHealth(
  endpoint: string,
  checks: CheckResult[],
  verbose: boolean,
  exclude: string[] = [],
): { code: number; body: string } {
  const considered = checks.filter((c) => !exclude.includes(c.name));
  const failed = considered.some((c) => !c.ok);
  if (!failed && !verbose) return { code: 200, body: 'ok' };
  let out = '';
  for (const c of checks) {
    if (exclude.includes(c.name)) out += `[+]${c.name} excluded: ok\n`;
    else out += c.ok ? `[+]${c.name} ok\n` : `[-]${c.name} failed: reason withheld\n`;
  }
  if (failed) return { code: 500, body: `${out}${endpoint} check failed\n` };
  return { code: 200, body: `${out}${endpoint} check passed\n` };
}

/**
 * "Does our etcd member have a leader?", asked with a short deadline and cached for a short while so that
 * load balancer health checks do not turn into an etcd load.
 */
export class EtcdReadiness {
  private cached: { at: number; ok: boolean; reason: string } | undefined;
  private inflight: Promise<{ ok: boolean; reason: string }> | undefined;

  constructor(
    private readonly etcd: EtcdClient,
    private readonly cacheMs = 100,
    private readonly deadlineMs = 1000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async check(): Promise<{ ok: boolean; reason: string }> {
    const c = this.cached;
    if (c && this.now() - c.at <= this.cacheMs) return c;
    if (!this.inflight) {
      this.inflight = this.probe().then((r) => {
        this.cached = { ...r, at: this.now() };
        this.inflight = undefined;
        return r;
      });
    }
    return this.inflight;
  }

  private async probe(): Promise<{ ok: boolean; reason: string }> {
    try {
      const s = await this.etcd.status(this.deadlineMs);
      if (s.errors && s.errors.length > 0) return { ok: false, reason: s.errors.join('; ') };
      if (!s.leader || s.leader === '0') return { ok: false, reason: 'etcd member has no leader' };
      return { ok: true, reason: 'ok' };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }
}
