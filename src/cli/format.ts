/** The `--format` option shared by commands; `--json` stays as a short form of `--format json`. */
import { UsageError } from './io.js';

export const REPORT_FORMATS = ['table', 'json', 'markdown', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function resolveFormat<F extends string>(flags: { format?: string; json?: boolean }, allowed: readonly F[], fallback: F): F {
  if (flags.json && flags.format !== undefined && flags.format !== 'json') {
    throw new UsageError(`--json and --format ${flags.format} disagree; give one`);
  }
  const wanted = flags.json ? 'json' : (flags.format ?? fallback);
  if (!(allowed as readonly string[]).includes(wanted)) throw new UsageError(`--format ${wanted}: expected one of ${allowed.join(', ')}`);
  return wanted as F;
}
