/**
 * Reads a master's clock several times over one open SSH channel. A fresh `exec` per reading
 * puts the reading late in its round trip (the session's set-up comes before it, only the output
 * after it: on the lab 0.7–1.0 of a 13–99 ms round trip), so the round trip's midpoint was late by
 * up to half of it. Here the shell loop already runs: each reading answers a line the laptop
 * writes, and its round trip is the network's and the loop's (bash's $EPOCHREALTIME forks
 * nothing; `date` where there is no bash).
 */

/** The remote loop: one reading (seconds since the epoch) per line read; ends at EOF. */
export const CLOCK_PING_COMMAND =
  'if command -v bash >/dev/null 2>&1; then exec bash -c \'while read -r _; do printf "%s\\n" "$EPOCHREALTIME"; done\'; fi; while read -r _; do date +%s.%N; done';

/** A reading as the loop prints it (a locale may print $EPOCHREALTIME with a comma); null if not one. */
export function parseReading(line: string): number | null {
  const m = /^(\d+)[.,](\d+)$/.exec(line.trim());
  return m ? Number(`${m[1]}.${m[2]}`) : null;
}

export interface PingSample {
  sent: number;
  received: number;
  master: number;
}

/** What the driver needs of an open channel running CLOCK_PING_COMMAND. */
export interface PingChannel {
  write(line: string): void;
  end(): void;
  /** each chunk of the loop's stdout */
  onData(listener: (chunk: string) => void): void;
}

/**
 * Sends `n` pings one after the other (the next once the previous reading came back) and
 * resolves with the samples, fewer when `timeoutMs` passes first; ends the channel's input.
 */
export function pingClock(
  channel: PingChannel,
  n: number,
  now: () => number,
  timeoutMs: number,
): Promise<PingSample[]> {
  return new Promise((resolve) => {
    const samples: PingSample[] = [];
    let buffer = '';
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      channel.end();
      resolve(samples);
    };
    const timer = setTimeout(finish, timeoutMs);
    channel.onData((chunk) => {
      if (done) return;
      const received = now();
      buffer += chunk;
      let lines = 0;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        lines++;
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        const master = parseReading(line);
        if (master !== null) samples.push({ sent, received, master });
      }
      if (samples.length >= n) finish();
      else if (lines > 0) ping(); // a partial line: its reading is still coming
    });
    const ping = () => {
      sent = now();
      channel.write('\n');
    };
    ping();
  });
}
