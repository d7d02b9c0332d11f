import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { droppingOutput } from './context.js';

/** A pipe whose reader went away: every write fails with EPIPE, as `run … | head` does. */
function closedPipe(): Writable & { attempts: number } {
  const w = new Writable({
    write(_chunk, _enc, cb) {
      w.attempts++;
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  }) as Writable & { attempts: number };
  w.attempts = 0;
  return w;
}

describe('droppingOutput', () => {
  it('drops writes once the stream failed with EPIPE, without throwing or an unhandled error', async () => {
    const pipe = closedPipe();
    const out = droppingOutput(pipe, false);
    const unhandled: unknown[] = [];
    const onUncaught = (e: unknown) => unhandled.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      out.write('✓ inject 1\n');
      await new Promise((r) => setImmediate(r));
      expect(() => out.write('▶ restore\n')).not.toThrow();
      out.write('report: …\n');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(unhandled).toEqual([]);
    // the first write failed; later ones never reach the dead pipe
    expect(pipe.attempts).toBe(1);
  });

  it('passes writes through while the stream is healthy', () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const out = droppingOutput(sink, true);
    out.write('a');
    out.write('b');
    expect(chunks).toEqual(['a', 'b']);
    expect(out.isTTY).toBe(true);
  });

  it('drops a write that throws synchronously (a destroyed terminal)', () => {
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    sink.write = () => {
      throw Object.assign(new Error('write EIO'), { code: 'EIO' });
    };
    const out = droppingOutput(sink, false);
    expect(() => out.write('x')).not.toThrow();
  });
});
