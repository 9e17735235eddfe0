/**
 * Human quantities, the one parser of them: `25M` parameters, `4.1G` MACs, `512MiB`. Budgets
 * (`check`), `diff --fail-on` amounts and `run --max-memory` all read sizes through it, so a unit
 * means the same everywhere: counts take decimal prefixes, bytes binary ones, and decimal byte
 * units (MB, GB), which readers take as 1000- or 1024-based, are refused as ambiguous.
 */

/** What a bound counts: elements or operations of a count total, bytes, or pixels of a receptive field. */
export type Unit = CountUnit | 'bytes' | 'pixels';

/** The counts a quantity can measure; each has its own example and unit words. */
export type CountUnit = 'params' | 'trainable_params' | 'buffers' | 'macs' | 'flops' | 'layers';

export const EXAMPLE: Record<Unit, string> = {
  params: '30M',
  trainable_params: '30M',
  buffers: '100K',
  macs: '5G',
  flops: '10G',
  layers: '100',
  bytes: '512MiB',
  pixels: '400',
};

const DECIMAL: Readonly<Record<string, bigint>> = { '': 1n, K: 10n ** 3n, k: 10n ** 3n, M: 10n ** 6n, G: 10n ** 9n, T: 10n ** 12n };
const BINARY: Readonly<Record<string, bigint>> = { '': 1n, B: 1n, KiB: 2n ** 10n, MiB: 2n ** 20n, GiB: 2n ** 30n, TiB: 2n ** 40n };
/** Unit words a count may carry after its prefix, as the table prints them: `4.1 GMAC`. */
const WORDS: Partial<Record<Unit, readonly string[]>> = { macs: ['MAC', 'MACs', 'MACS'], flops: ['FLOP', 'FLOPs', 'FLOPS'] };

/**
 * `25M` -> 25000000, `4.1G` -> 4100000000, `512MiB` -> 536870912, `25,557,032` -> 25557032.
 * Counts take decimal prefixes K, M, G, T; bytes take KiB, MiB, GiB, TiB (or B); pixels none.
 * Decimal byte units (MB) are refused as ambiguous. The result must be a whole number.
 * Returns the value, or the reason it is refused.
 */
export function parseQuantity(text: string, unit: Unit): number | string {
  const m = /^([0-9][0-9_,]*)(?:\.([0-9]+))?\s*([A-Za-z]*)$/.exec(text.trim());
  if (!m) return `'${text}' is not a number${unitHint(unit)}`;
  const [, whole, frac = '', suffix = ''] = m;
  if (whole.includes(',') && !/^\d{1,3}(,\d{3})+$/.test(whole)) return `'${text}': commas must group digits by three (25,557,032)`;
  if (whole.includes('_') && !/^\d+(_\d+)+$/.test(whole)) return `'${text}': underscores must sit between digits (25_557_032)`;
  if (whole.includes(',') && whole.includes('_')) return `'${text}': group digits with commas or underscores, not both`;
  let multiplier: bigint | undefined;
  if (unit === 'bytes') {
    multiplier = BINARY[suffix];
    if (multiplier === undefined) {
      if (/^[kKMGT]B?$/.test(suffix)) {
        const binary = `${suffix[0].toUpperCase()}iB`;
        return `'${text}' is ambiguous for bytes (${suffix} is 1000- or 1024-based, depending on who reads it): write ${whole}${frac ? `.${frac}` : ''}${binary}, or the exact number of bytes`;
      }
      return `unknown unit '${suffix}' in '${text}'${unitHint(unit)}`;
    }
  } else if (unit === 'pixels') {
    if (suffix !== '' && suffix !== 'px') return `unknown unit '${suffix}' in '${text}'${unitHint(unit)}`;
    multiplier = 1n;
  } else {
    const words = WORDS[unit] ?? [];
    const word = words.find((w) => suffix.endsWith(w));
    const prefix = word ? suffix.slice(0, -word.length) : suffix;
    multiplier = DECIMAL[prefix];
    if (multiplier === undefined) {
      if (/^[KMGT]i?B$|^[KMGT]i$/.test(suffix)) return `'${text}': ${unit} is a count, not bytes${unitHint(unit)}`;
      return `unknown unit '${suffix}' in '${text}'${unitHint(unit)}`;
    }
  }
  const digits = BigInt(whole.replace(/[_,]/g, '') + frac);
  const scaled = digits * multiplier;
  const divisor = 10n ** BigInt(frac.length);
  if (scaled % divisor !== 0n) return `'${text}' is not a whole number (${Number(scaled) / Number(divisor)})`;
  const value = scaled / divisor;
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return `'${text}' is too large to count exactly (more than 2^53)`;
  return Number(value);
}

function unitHint(unit: Unit): string {
  if (unit === 'bytes') return ' (bytes take B, KiB, MiB, GiB, TiB: 512MiB, 1.5GiB)';
  if (unit === 'pixels') return ' (a receptive field is a whole number of pixels: 400)';
  const words = WORDS[unit];
  return ` (${unit} take K, M, G, T = 10^3, 10^6, 10^9, 10^12: ${EXAMPLE[unit]}${words ? `, or ${EXAMPLE[unit]}${words[0]}` : ''})`;
}
