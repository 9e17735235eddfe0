/** Number formats for people. JSON never uses these: it prints exact integers. */

/** 25557032 -> "25,557,032". */
export function grouped(n: number): string {
  return n.toLocaleString('en-US');
}

/** A shape as the table shows it: [1, 64, 112, 112]. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
