/** "Did you mean" suggestions for misspelt kinds, arguments, names and presets. */

/** Edit distance with unit-cost insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Candidates close to `name`: within edit distance 2 (1 for names of 3 letters or fewer, where 2
 * edits would match unrelated words: `con` is not `lrn`), or one a prefix of the other with at
 * least 3 letters in common (`conv2d` -> `conv`, `max` -> `maxpool`). Case is ignored. Sorted by
 * distance, then by name.
 */
export function closeMatches(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const wanted = name.toLowerCase();
  const maxDistance = wanted.length <= 3 ? 1 : 2;
  const prefix = (c: string) => Math.min(c.length, wanted.length) >= 3 && (c.startsWith(wanted) || wanted.startsWith(c));
  return [...new Set(candidates)]
    .map((c) => ({ c, lower: c.toLowerCase() }))
    .map(({ c, lower }) => ({ c, lower, distance: editDistance(wanted, lower) }))
    .filter(({ lower, distance }) => distance <= maxDistance || prefix(lower))
    .sort((a, b) => a.distance - b.distance || (a.c < b.c ? -1 : a.c > b.c ? 1 : 0))
    .slice(0, limit)
    .map(({ c }) => c);
}

/** " (did you mean 'a' or 'b'?)" or "". */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  return suggestion(closeMatches(name, candidates));
}

/** " (did you mean 'a' or 'b'?)" for the matches given, or "". */
export function suggestion(close: readonly string[]): string {
  if (close.length === 0) return '';
  return ` (did you mean ${close.map((c) => `'${c}'`).join(' or ')}?)`;
}
