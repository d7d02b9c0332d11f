import { describe, expect, it } from 'vitest';
import { Timeline } from '../timeline/timeline.js';
import { watchApiservers } from './apiserver.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('apiserver watcher', () => {
  it('probes each endpoint on its own loop and records status, error and latency', async () => {
    let n = 0;
    const tl = new Timeline();
    const stop = watchApiservers(
      tl,
      [
        { master: 'master-1', probe: async () => ({ ok: true, status: 200, latencyMs: 2 }) },
        {
          master: 'lb',
          probe: async (timeoutMs) => {
            n++;
            if (n === 2) {
              await sleep(timeoutMs);
              return { ok: false, error: `no answer within ${timeoutMs} ms`, latencyMs: timeoutMs };
            }
            return n === 3
              ? { ok: false, status: 503, error: 'HTTP 503', latencyMs: 1 }
              : { ok: true, status: 200, latencyMs: 1 };
          },
        },
      ],
      { intervalMs: 20, timeoutMs: 60 },
    );
    await sleep(200);
    await stop();
    const lb = tl.events().filter((e) => e.kind === 'api' && e.master === 'lb');
    expect(lb.slice(0, 3)).toMatchObject([
      { ok: true, status: 200 },
      { ok: false, error: 'no answer within 60 ms', latencyMs: 60 },
      { ok: false, status: 503 },
    ]);
    // the slow probe held up only its own endpoint
    expect(tl.events().filter((e) => e.kind === 'api' && e.master === 'master-1').length).toBeGreaterThan(
      lb.length,
    );
    expect(tl.events().some((e) => e.kind === 'blind')).toBe(false);
  });
});
