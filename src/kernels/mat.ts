/** A matrix inside a flat float32 array: element (i, j) is data[offset + i*rs + j*cs]. */
export interface Mat {
  readonly data: Float32Array;
  readonly offset: number;
  /** Row stride. */
  readonly rs: number;
  /** Column stride. */
  readonly cs: number;
}

/** A row-major matrix with `cols` columns starting at `offset`. */
export function rowMajor(data: Float32Array, offset: number, cols: number): Mat {
  return { data, offset, rs: cols, cs: 1 };
}
