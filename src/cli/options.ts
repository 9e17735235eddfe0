/** Option values shared by commands. */
import { UsageError } from './io.js';

/** The largest batch accepted: counts stay exact integers well beyond it for real models. */
export const MAX_BATCH = 1 << 20;

export function parseBatch(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_BATCH) {
    throw new UsageError(`--batch ${text}: expected an integer from 1 to ${MAX_BATCH.toLocaleString('en-US')}`);
  }
  return n;
}
