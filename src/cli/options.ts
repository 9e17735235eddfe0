/** Option values shared by commands. */
import { grouped } from '../report/units.js';
import { MAX_BATCH } from '../vocabulary.js';
import { UsageError } from './io.js';

export function parseBatch(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_BATCH) {
    throw new UsageError(`--batch ${text}: expected an integer from 1 to ${grouped(MAX_BATCH)}`);
  }
  return n;
}

export function parseDepth(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--depth ${text}: expected a positive integer`);
  return n;
}

/** `--seed 7`: a whole number from min to max. */
export function parseInteger(option: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${option} ${text}: expected an integer from ${grouped(min)} to ${grouped(max)}`);
  }
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
