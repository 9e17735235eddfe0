/**
 * im2col: lays out the input windows of a convolution as the columns of a matrix, so that the
 * convolution becomes one GEMM: out[Cout_g, P] = weight[Cout_g, K] · col[K, P].
 *
 *   x    one sample, channels [c0, c0 + cg) of an input [C, H, W] (NCHW, offset xOff)
 *   col  [K, P] row-major, K = cg*kh*kw (the weight's layout [Cout, cg, kh, kw] flattened),
 *        P = Hout*Wout; row r = (c*kh + i)*kw + j, column p = oh*Wout + ow:
 *        col[r, p] = x[c0 + c, oh*sh - top + i*dh, ow*sw - left + j*dw], 0 in the padding.
 *
 * Loop structure: for each row r (c, i, j), for each output row oh, the valid output columns
 * [owLo, owHi) are computed once, so the inner loop is a branch-free strided copy.
 */
export interface ConvGeometry {
  readonly h: number;
  readonly w: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly top: number;
  readonly left: number;
  readonly hout: number;
  readonly wout: number;
}

/** A convolution's window arguments, as conv's arguments hold them. */
export interface ConvWindow {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: { readonly top: number; readonly left: number };
}

/** The geometry of a convolution over an h×w input with an hout×wout output (conv's forward, and the execute plan). */
export function convGeometry(a: ConvWindow, h: number, w: number, hout: number, wout: number): ConvGeometry {
  return {
    h,
    w,
    kh: a.kernel[0],
    kw: a.kernel[1],
    sh: a.stride[0],
    sw: a.stride[1],
    dh: a.dilation[0],
    dw: a.dilation[1],
    top: a.padding.top,
    left: a.padding.left,
    hout,
    wout,
  };
}

/** A 1x1 convolution with stride 1 and no padding reads its input as the im2col matrix directly. */
export function isDirectConv(
  kernel: readonly [number, number],
  stride: readonly [number, number],
  p: { top: number; bottom: number; left: number; right: number },
): boolean {
  return kernel[0] === 1 && kernel[1] === 1 && stride[0] === 1 && stride[1] === 1 && p.top + p.bottom + p.left + p.right === 0;
}

export function im2col(x: Float32Array, xOff: number, cg: number, g: ConvGeometry, col: Float32Array): void {
  const { h, w, kh, kw, sh, sw, dh, dw, top, left, hout, wout } = g;
  const P = hout * wout;
  let r = 0;
  for (let c = 0; c < cg; c++) {
    const plane = xOff + c * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const row = r * P;
        // Output columns whose input column ow*sw - left + j*dw lies in [0, w).
        const shift = j * dw - left;
        const owLo = Math.min(wout, Math.max(0, Math.ceil(-shift / sw)));
        const owHi = Math.max(owLo, Math.min(wout, Math.floor((w - 1 - shift) / sw) + 1));
        for (let oh = 0; oh < hout; oh++) {
          const ih = oh * sh - top + i * dh;
          const dst = row + oh * wout;
          if (ih < 0 || ih >= h) {
            col.fill(0, dst, dst + wout);
            continue;
          }
          const src = plane + ih * w + shift;
          for (let ow = 0; ow < owLo; ow++) col[dst + ow] = 0;
          if (sw === 1) {
            for (let ow = owLo; ow < owHi; ow++) col[dst + ow] = x[src + ow]!;
          } else {
            for (let ow = owLo; ow < owHi; ow++) col[dst + ow] = x[src + ow * sw]!;
          }
          for (let ow = owHi; ow < wout; ow++) col[dst + ow] = 0;
        }
      }
    }
  }
}

/**
 * col2im: the adjoint of im2col, the scatter of a transposed convolution. With the geometry of
 * the convolution that maps y to the small grid (h, w the size of y; hout, wout that of the small
 * grid; P = hout*wout), it adds every entry of col [K, P], K = cg*kh*kw, to the element of y it
 * came from in im2col:
 *   y[c, oh*sh - top + i*dh, ow*sw - left + j*dw] += col[(c*kh + i)*kw + j, oh*wout + ow]
 * for the channels c < cg of y from offset yOff; entries that fall in the padding are dropped.
 */
export function col2im(col: Float32Array, cg: number, g: ConvGeometry, y: Float32Array, yOff: number): void {
  const { h, w, kh, kw, sh, sw, dh, dw, top, left, hout, wout } = g;
  const P = hout * wout;
  let r = 0;
  for (let c = 0; c < cg; c++) {
    const plane = yOff + c * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        const row = r * P;
        // Small-grid columns whose column ow*sw - left + j*dw in y lies in [0, w).
        const shift = j * dw - left;
        const owLo = Math.min(wout, Math.max(0, Math.ceil(-shift / sw)));
        const owHi = Math.max(owLo, Math.min(wout, Math.floor((w - 1 - shift) / sw) + 1));
        for (let oh = 0; oh < hout; oh++) {
          const ih = oh * sh - top + i * dh;
          if (ih < 0 || ih >= h) continue;
          const dst = plane + ih * w + shift;
          const src = row + oh * wout;
          for (let ow = owLo; ow < owHi; ow++) y[dst + ow * sw] += col[src + ow];
        }
      }
    }
  }
}
