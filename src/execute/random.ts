/**
 * Deterministic random numbers for execute mode, defined per element so that any element of any
 * tensor can be computed on its own, in any order, identically in TypeScript and in Python
 * (scripts/torch_reference_nets.py implements the same functions):
 *
 *   fmix32(x)         MurmurHash3's 32-bit finalizer:
 *                       x ^= x >>> 16; x *= 0x85ebca6b; x ^= x >>> 13; x *= 0xc2b2ae35; x ^= x >>> 16
 *   fnv1a32(s)        FNV-1a, 32 bits, over the UTF-8 bytes of s
 *   stream(seed, key) = fmix32((seed mod 2^32) ^ fnv1a32(key))     one stream per tensor key
 *   bits(st, k)       = fmix32(st + (k + 1) * 0x9e3779b9 mod 2^32)  the k-th element's 32 bits
 *   unit(st, k)       = (bits(st, k) >>> 8) / 2^24                  uniform in [0, 1), 24 bits
 *   uniform(st, k, b) = (2 * unit(st, k) - 1) * b                   uniform in [-b, b), float64,
 *                                                                   then rounded to float32
 * All products are modulo 2^32. The values are exact in float64, so both languages agree bit for bit.
 */

export function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function stream(seed: number, key: string): number {
  return fmix32((seed >>> 0) ^ fnv1a32(key));
}

export function unit(st: number, k: number): number {
  const x = fmix32((st + Math.imul(k + 1, 0x9e3779b9)) >>> 0);
  return (x >>> 8) / 16777216;
}

/** Fills `out` with center + uniform(-bound, bound) values of stream `st`, element k at out[k] (float64, rounded once). */
export function fillUniform(out: Float32Array, st: number, bound: number, center = 0): Float32Array {
  for (let k = 0; k < out.length; k++) out[k] = center + (2 * unit(st, k) - 1) * bound;
  return out;
}

/**
 * Standard normal values (Box-Muller): element k uses unit(st, 2k) and unit(st, 2k+1):
 * sqrt(-2 ln(1 - u1)) * cos(2 pi u2). For seeded inputs; not reproduced in Python.
 */
export function fillNormal(out: Float32Array, st: number): Float32Array {
  for (let k = 0; k < out.length; k++) {
    const u1 = unit(st, 2 * k);
    const u2 = unit(st, 2 * k + 1);
    out[k] = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}
