/** "Did you mean" suggestions for misspelt kinds, arguments and names. */

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Candidates within edit distance 2 (or 1/3 of the name's length), or sharing a 3-letter prefix; closest first. */
export function closeMatches(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const lower = name.toLowerCase();
  const budget = Math.max(2, Math.floor(name.length / 3));
  const scored: [string, number][] = [];
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    const prefix = lower.length >= 3 && c.toLowerCase().startsWith(lower.slice(0, 3));
    if (d <= budget || prefix) scored.push([c, d]);
  }
  return scored
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([c]) => c);
}

/** " (did you mean a or b?)" or "". */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const close = closeMatches(name, candidates);
  if (close.length === 0) return '';
  return ` (did you mean ${close.map((c) => `'${c}'`).join(' or ')}?)`;
}
