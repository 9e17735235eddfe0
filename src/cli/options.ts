/** Option values shared by commands. */
import { MAX_BATCH } from '../vocabulary.js';
import { UsageError } from './io.js';

export function parseBatch(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_BATCH) {
    throw new UsageError(`--batch ${text}: expected an integer from 1 to ${MAX_BATCH.toLocaleString('en-US')}`);
  }
  return n;
}

export function parseDepth(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--depth ${text}: expected a positive integer`);
  return n;
}

/** One of an object's keys: `--dtype fp16` of DTYPES. */
export function parseChoice<T extends string>(option: string, value: string, choices: Readonly<Record<T, unknown>>): T {
  if (Object.hasOwn(choices, value)) return value as T;
  throw new UsageError(`${option} ${value}: expected one of ${Object.keys(choices).join(', ')}`);
}

/** Commander's reducer for a repeatable option (`--set a=1 --set b=2`). */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
