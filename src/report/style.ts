/**
 * Colour. At a terminal it is for people: on only when the stream is a TTY, and never with NO_COLOR
 * (https://no-color.org) or TERM=dumb; FORCE_COLOR turns it on for a pipe. In drawn outputs (DOT,
 * Mermaid) a layer is filled by its category (src/layers/kind.ts), so alike layers look alike.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { LayerCategory } from '../layers/kind.js';

export function colourFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): ChalkInstance {
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  const force = env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0';
  const on = !noColor && (force || (stream.isTTY === true && env['TERM'] !== 'dumb'));
  return new Chalk({ level: on ? 1 : 0 });
}

/** How a drawn output colours a category: the fill, and the class name that carries it (Mermaid, CSS). */
export interface CategoryStyle {
  readonly fill: string;
  readonly className: string;
}

/**
 * The fill of each category; one without a style is drawn white. The class of `arithmetic` is
 * `add`, the name Mermaid output used before there were categories (and still uses).
 */
export const CATEGORY_STYLES = {
  input: { fill: '#e6e6e6', className: 'input' },
  conv: { fill: '#dceaf7', className: 'conv' },
  linear: { fill: '#fde3c8', className: 'linear' },
  pool: { fill: '#dff0d8', className: 'pool' },
  norm: { fill: '#f2f2f2', className: 'norm' },
  activation: undefined,
  arithmetic: { fill: '#ffe8a3', className: 'add' },
  concat: { fill: '#f7d4ec', className: 'concat' },
  reshape: undefined,
  resample: undefined,
  regularization: undefined,
} as const satisfies Readonly<Record<LayerCategory, CategoryStyle | undefined>>;

/** A folded block (several layers drawn as one node), whatever its layers. */
export const BLOCK_STYLE: CategoryStyle = { fill: '#e7e3f6', className: 'block' };
