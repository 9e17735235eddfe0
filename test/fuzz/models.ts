/**
 * Valid models, generated: YAML files built from the layer kinds, with blocks, repeats, `if`,
 * residual and branch forms, sequential groups, extra outputs and expectations. Every layer is
 * chosen to fit any spatial size >= 1 (odd kernels padded to keep the size, strides that never
 * reach 0), so almost every generated file analyzes; the few that do not must still fail cleanly.
 * Sizes stay tiny, so that `run` on them costs microseconds.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';

type Entry = string | Record<string, unknown>;

const small = fc.integer({ min: 1, max: 8 });
const flag = fc.boolean();

/** A layer that keeps the spatial size (and, with `out: "${in.c}"`, the channels): bodies of residuals and adds. */
const keepShape: fc.Arbitrary<Entry> = fc.oneof(
  fc.constantFrom<Entry>('relu', 'identity', 'batchnorm', { dropout: { p: 0.25 } }, { lrn: { size: 3 } }),
  fc
    .record({ kernel: fc.constantFrom(1, 3, 5), bias: flag })
    .map(({ kernel, bias }) => ({ conv: { out: '${in.c}', kernel, padding: Math.floor(kernel / 2), bias } })),
  fc.constant({ conv: { out: '${in.c}', kernel: 3, padding: 'same', groups: '${in.c}' } }),
  fc.constant({ conv: { out: '${in.c}', kernel: 3, padding: 2, dilation: 2 } }),
);

/** A layer on a feature map [C, H, W], any H, W >= 1. */
const spatialLayer: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 3, arbitrary: keepShape },
  {
    weight: 3,
    arbitrary: fc
      .record({ out: small, kernel: fc.constantFrom(1, 3), stride: fc.constantFrom(1, 2), bias: flag })
      .map(({ out, kernel, stride, bias }) => ({
        conv: { out, kernel, stride, padding: Math.floor(kernel / 2), bias },
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ out: fc.constantFrom('${width}', '${width * 2}', '${in.c + 1}'), stride: fc.constantFrom(1, 2) })
      .map((a) => ({ conv: { ...a, kernel: 3, padding: [1, 1, 1, 1] } })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ kind: fc.constantFrom('maxpool', 'avgpool'), ceil: flag })
      .map(({ kind, ceil }) => ({ [kind]: { kernel: 3, stride: 2, padding: 1, ceil } })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Entry>({ maxpool: { kernel: 1 } }, { avgpool: { kernel: 1, stride: 1 } }, { adaptive_avgpool: { size: 1 } }),
  },
  { weight: 1, arbitrary: fc.record({ out: small, stride: fc.constantFrom(1, 2) }).map((a) => ({ unit: a })) },
);

/** A layer on flat features [F]. */
const flatLayer: fc.Arbitrary<Entry> = fc.oneof(
  fc.constantFrom<Entry>('relu', 'identity', 'batchnorm', { dropout: { p: 0.5 } }, 'softmax'),
  fc.record({ out: small, bias: flag }).map((a) => ({ linear: a })),
);

const spatialHeads: readonly Entry[][] = [
  [],
  ['global_avgpool', 'flatten', { linear: { out: 5 } }],
  ['flatten', { linear: { out: 3 } }, 'softmax'],
  [{ adaptive_avgpool: { size: 1 } }, 'flatten', { dropout: { p: 0.5 } }, { linear: { out: 4, bias: false } }],
  ['global_avgpool'],
];

/** Entries for a feature map, `depth` levels of nesting left. */
function spatialEntries(depth: number, max: number): fc.Arbitrary<Entry[]> {
  const entry: fc.Arbitrary<Entry> =
    depth <= 0
      ? spatialLayer
      : fc.oneof(
          { weight: 6, arbitrary: spatialLayer },
          {
            weight: 1,
            arbitrary: fc
              .record({ body: fc.array(keepShape, { minLength: 1, maxLength: 3 }), projected: flag })
              .map(({ body, projected }) => ({
                residual: { body, ...(projected ? { shortcut: [{ conv: { out: '${in.c}', kernel: 1, bias: false } }, 'batchnorm'] } : {}) },
              })),
          },
          {
            weight: 1,
            arbitrary: fc
              .array(
                fc.oneof(
                  fc.constant([] as Entry[]),
                  fc.array(
                    fc
                      .record({ out: small, kernel: fc.constantFrom(1, 3) })
                      .map(({ out, kernel }) => ({ conv: { out, kernel, padding: Math.floor(kernel / 2) } })),
                    { minLength: 1, maxLength: 2 },
                  ),
                ),
                { minLength: 2, maxLength: 3 },
              )
              .map((branches) => ({ concat: { branches } })),
          },
          {
            weight: 1,
            arbitrary: fc
              .array(fc.array(keepShape, { maxLength: 2 }), { minLength: 2, maxLength: 3 })
              .map((branches) => ({ add: { branches } })),
          },
          { weight: 1, arbitrary: spatialEntries(depth - 1, 3).map((layers) => ({ sequential: { layers } })) },
        );
  const decorated = fc
    .tuple(entry, fc.constantFrom(0, 0, 0, 1, 2, 3), fc.constantFrom('none', 'none', 'none', 'true', 'false', 'even'))
    .map(([e, repeat, cond]) => decorate(e, repeat, cond));
  return fc.array(decorated, { minLength: 1, maxLength: max });
}

/** Adds `repeat` and `if` to a map entry. */
function decorate(e: Entry, repeat: number, cond: string): Entry {
  if (typeof e === 'string' || (repeat === 0 && cond === 'none')) return e;
  const [kind, args] = Object.entries(e)[0];
  const extra: Record<string, unknown> = {};
  if (repeat > 0) extra['repeat'] = repeat;
  if (cond === 'true' || cond === 'false') extra['if'] = cond === 'true';
  if (cond === 'even') extra['if'] = repeat > 0 ? '${i % 2 == 0}' : '${in.c > 2}';
  return { [kind]: { ...(args as object), ...extra } };
}

export interface GeneratedModel {
  readonly text: string;
  /** Whether the file has an `expect` section (for `check`). */
  readonly expects: boolean;
}

/** A whole model file: input, params, a block, layers, maybe a head, an extra output and expectations. */
export const generatedModel: fc.Arbitrary<GeneratedModel> = fc
  .record({
    flatInput: fc.boolean(),
    c: fc.integer({ min: 1, max: 4 }),
    h: fc.integer({ min: 1, max: 12 }),
    w: fc.integer({ min: 1, max: 12 }),
    f: fc.integer({ min: 1, max: 16 }),
    width: small,
    spatial: spatialEntries(2, 8),
    flatLayers: fc.array(flatLayer, { minLength: 1, maxLength: 5 }),
    head: fc.constantFrom(...spatialHeads),
    aux: fc.boolean(),
    names: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
    expect: fc.option(fc.record({ max: fc.constantFrom('0', '100', '10K', '1M'), rf: fc.constantFrom(1, 3, 1000) }), { nil: undefined }),
    inline: fc.boolean(),
  })
  .map((m) => {
    const layers: Entry[] = m.flatInput
      ? m.flatLayers
      : [
          ...m.spatial,
          ...(m.aux ? [{ sequential: { name: 'aux', output: true, layers: ['global_avgpool', 'flatten', { linear: { out: 2 } }] } }] : []),
          ...m.head,
        ];
    let n = 0;
    const named = nameSome(layers, () => {
      const yes = m.names[n % m.names.length];
      return yes ? `n${n++}` : (n++, undefined);
    });
    const model: Record<string, unknown> = {
      name: 'fuzz',
      params: { width: m.width },
      input: m.flatInput ? [m.f] : [m.c, m.h, m.w],
      blocks: {
        unit: {
          ...(m.inline ? { inline: true } : {}),
          params: { out: null, stride: 1 },
          // Inline blocks splice their layers into the caller's scope: named ones would clash.
          layers: [
            { conv: { ...(m.inline ? {} : { name: 'conv' }), out: '${out}', kernel: 3, stride: '${stride}', padding: 1, bias: false } },
            m.inline ? 'batchnorm' : { batchnorm: { name: 'bn' } },
            'relu',
          ],
        },
      },
      layers: named,
    };
    if (m.expect) model['expect'] = { params: { max: m.expect.max }, ...(m.flatInput ? {} : {}) };
    return { text: stringify(model), expects: m.expect !== undefined };
  });

/** Gives some entries (and entries inside residuals, branches and sequentials) a unique name. */
function nameSome(entries: Entry[], next: () => string | undefined): Entry[] {
  return entries.map((e) => {
    const name = next();
    if (typeof e === 'string') return name ? { [e]: { name } } : e;
    const [kind, args] = Object.entries(e)[0];
    const a = { ...(args as Record<string, unknown>) };
    // Paths of a residual or branches are named in the enclosing scope, so copies of a repeat
    // would clash: only entries that are not repeated name what they hold.
    const inner = a['repeat'] === undefined ? next : () => undefined;
    if (Array.isArray(a['layers'])) a['layers'] = nameSome(a['layers'] as Entry[], inner);
    if (Array.isArray(a['body'])) a['body'] = nameSome(a['body'] as Entry[], inner);
    if (Array.isArray(a['branches'])) a['branches'] = (a['branches'] as Entry[][]).map((b) => nameSome(b, inner));
    // A name on a repeat without `i` makes a group; on `if: false` it is dropped: both are fine.
    // Each copy of a repeat gets its own name.
    if (name && kind !== 'residual') a['name'] = a['repeat'] !== undefined ? `${name}_\${i}` : name;
    return { [kind]: a };
  });
}
