/** "Did you mean" for misspelt keys, actions, checks and metric names. */

/**
 * Edit distance (Levenshtein plus transposition of neighbours, "optimal string alignment"):
 * `hots` is one edit from `host`.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i]!;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The closest candidate to `input`, if it is close enough to be a plausible typo: at most a third
 * of the longer word's letters differ (at least 1, at most 3). Case differences count as 0.5.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const exact = editDistance(input, c);
    const folded = editDistance(input.toLowerCase(), c.toLowerCase());
    const score = folded + (exact - folded) * 0.5;
    const limit = Math.min(3, Math.max(1, Math.floor(Math.max(input.length, c.length) / 3)));
    if (score <= limit && score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** `did you mean 'x'?` or `expected one of: a, b, c` (short lists) for a problem message. */
export function suggestion(input: string, candidates: readonly string[], noun = 'one of'): string {
  const near = closest(input, candidates);
  if (near !== undefined) return `did you mean '${near}'?`;
  if (candidates.length <= 12) return `expected ${noun}: ${candidates.join(', ')}`;
  return `see kha-drill schema for the allowed values`;
}
