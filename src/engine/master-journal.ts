/**
 * The copy of the journal on each touched master: before an inject step runs, each of its undo
 * records is written to `/var/lib/kha-drill/journal/<run>--<undo>.json` on the master it
 * concerns (in the same SSH command that arms its dead-man's switch), and a `<same>.status`
 * file says what became of it: `healed` (written by the switch after its undo ran), `done`
 * (written by the run's restore or `recover` after the undo was verified). No status file: still
 * pending. `kha-drill recover --from-masters` reads these from any machine, so a run killed on a
 * laptop that never comes back can be finished from another one.
 *
 * Everything here is a shell command string for the master (POSIX sh, coreutils) or a pure
 * parser of what those commands print.
 */
import { redactDeep } from '../text/redact.js';
import { shellQuote } from '../ssh/quote.js';
import type { UndoSpec } from './types.js';

export const MASTER_JOURNAL_DIR = '/var/lib/kha-drill/journal';

/** What a master keeps about one undo. */
export interface MasterCopy {
  version: 1;
  cluster: string;
  runId: string;
  drill: string;
  /** the machine the run ran on, and when it wrote this (its clock) */
  host: string;
  writtenAt: string;
  undo: UndoSpec;
}

export type MasterStatus = 'healed' | 'done';

export interface MasterCopyRecord {
  path: string;
  copy: MasterCopy;
  /** absent: pending */
  status?: { status: MasterStatus; by: string; at: string };
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '-');

export function masterCopyPath(runId: string, undoId: string, dir = MASTER_JOURNAL_DIR): string {
  return `${dir}/${safe(runId).slice(0, 160)}--${safe(undoId)}.json`;
}

/** Writes the copy atomically (temp file, rename); secrets never reach the master. */
export function writeCopyCommand(path: string, copy: MasterCopy): string {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const json = JSON.stringify(redactDeep(copy));
  const p = shellQuote(path);
  return `mkdir -p ${shellQuote(dir)} && printf '%s\\n' ${shellQuote(json)} > ${p}.tmp && mv -f ${p}.tmp ${p}`;
}

/** Records what became of the undo, with the master's own clock. */
export function statusCommand(path: string, status: MasterStatus, by: string): string {
  const file = shellQuote(`${path}.status`);
  return `printf '{"status":"%s","by":"%s","at":"%s"}\\n' ${status} ${shellQuote(by)} "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" > ${file}.tmp && mv -f ${file}.tmp ${file}`;
}

/** Prints one line per copy: path, TAB, its JSON, TAB, its status JSON (or nothing). */
export function readCopiesCommand(dir = MASTER_JOURNAL_DIR): string {
  const d = shellQuote(dir);
  return `for f in ${d}/*.json; do [ -f "$f" ] || continue; printf '%s\\t' "$f"; tr -d '\\n' < "$f"; printf '\\t'; if [ -f "$f.status" ]; then tr -d '\\n' < "$f.status"; fi; printf '\\n'; done`;
}

/** Parses what `readCopiesCommand` printed; lines that do not parse are returned as problems. */
export function parseCopies(text: string): { records: MasterCopyRecord[]; problems: string[] } {
  const records: MasterCopyRecord[] = [];
  const problems: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [path = '', json = '', status = ''] = line.split('\t');
    try {
      const copy = JSON.parse(json) as MasterCopy;
      if (copy.version !== 1 || !copy.undo?.id || !Array.isArray(copy.undo.commands))
        throw new Error('not a kha-drill journal copy');
      const rec: MasterCopyRecord = { path, copy };
      if (status) rec.status = JSON.parse(status) as NonNullable<MasterCopyRecord['status']>;
      records.push(rec);
    } catch (err) {
      problems.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { records, problems };
}

/** Pending on the master: no status yet (a switch that fired but whose undo failed writes none). */
export const isPendingCopy = (r: MasterCopyRecord): boolean => r.status?.status !== 'done';
