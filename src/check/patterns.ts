/** The two kinds of pattern a budget entry's `models` holds (docs/check.md): path globs and model names. */

/** Budget patterns with a path separator or a `.yaml`/`.yml` ending are path globs; others are model names. */
export function isPathPattern(pattern: string): boolean {
  return /[/\\]/.test(pattern) || /\.ya?ml$/.test(pattern);
}

/** A model-name pattern: `*` any text, `?` one character, `{a,b}` either; the rest literal. */
export function namePattern(pattern: string): RegExp {
  let re = '';
  let depth = 0;
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '{') {
      re += '(?:';
      depth++;
    } else if (ch === '}' && depth > 0) {
      re += ')';
      depth--;
    } else if (ch === ',' && depth > 0) re += '|';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  while (depth-- > 0) re += ')';
  return new RegExp(`^${re}$`);
}
