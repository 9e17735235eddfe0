/**
 * Colour is for people at a terminal: on only when the stream is a TTY, and never with NO_COLOR
 * (https://no-color.org) or TERM=dumb. FORCE_COLOR turns it on for a pipe.
 */
import { Chalk, type ChalkInstance } from 'chalk';

export function colourFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): ChalkInstance {
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  const force = env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0';
  const on = !noColor && (force || (stream.isTTY === true && env['TERM'] !== 'dumb'));
  return new Chalk({ level: on ? 1 : 0 });
}
