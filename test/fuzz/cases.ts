/**
 * A fuzz case: what to feed the CLI. Generated models and mutated bundled models run through every
 * command that reads a model (`analyze`, `graph`, `diff`, `check`, `sweep`, and `run` on the tiny generated
 * ones), from a file or from stdin, sometimes with hostile `--set` values; binary cases feed `run`
 * edited safetensors weights or .npy inputs. A case is plain data: it prints, and fast-check shrinks it.
 */
import fc from 'fast-check';
import { npyFile, weightsFile, type NpyEdit, type WeightsEdit } from './binary.js';
import { generatedModel } from './models.js';
import { mutations, type Mutation } from './mutate.js';

export type CommandName = 'analyze' | 'graph' | 'diff' | 'check' | 'run' | 'sweep';

export interface Command {
  readonly name: CommandName;
  readonly options: readonly string[];
}

export type Case =
  | {
      readonly source: 'generated';
      readonly text: string;
      readonly command: Command;
      readonly stdin: boolean;
      readonly set: readonly string[];
    }
  | {
      readonly source: 'mutated';
      readonly base: string;
      readonly generated?: string;
      readonly mutations: readonly Mutation[];
      readonly withExpect: boolean;
      readonly command: Command;
      readonly stdin: boolean;
      readonly set: readonly string[];
    }
  | { readonly source: 'weights'; readonly edits: readonly WeightsEdit[]; readonly bytes: Uint8Array }
  | { readonly source: 'npy'; readonly edits: readonly NpyEdit[]; readonly bytes: Uint8Array };

/** The bundled models and how often each is mutated: the large ones cost 100 ms a case, the lecture ones well under 1. */
export const BASES: readonly { readonly path: string; readonly weight: number }[] = [
  { path: 'architectures/lecture/padding_stride.yaml', weight: 6 },
  { path: 'architectures/lecture/bottleneck.yaml', weight: 6 },
  { path: 'architectures/lecture/conv3x3_256.yaml', weight: 3 },
  { path: 'architectures/lecture/depthwise.yaml', weight: 3 },
  { path: 'architectures/lecture/first_conv.yaml', weight: 3 },
  { path: 'architectures/lecture/grouped.yaml', weight: 3 },
  { path: 'architectures/alexnet.yaml', weight: 4 },
  { path: 'architectures/alexnet_paper.yaml', weight: 3 },
  { path: 'architectures/vgg.yaml', weight: 3 },
  { path: 'architectures/resnet.yaml', weight: 1 },
  { path: 'architectures/googlenet.yaml', weight: 1 },
  { path: 'architectures/densenet.yaml', weight: 1 },
];

const commandFor = (names: readonly CommandName[]): fc.Arbitrary<Command> =>
  fc.constantFrom(...names).chain((name) => fc.constantFrom(...OPTIONS[name]).map((options) => ({ name, options })));

const OPTIONS: Readonly<Record<CommandName, readonly (readonly string[])[]>> = {
  analyze: [
    ['--json'],
    ['--json'],
    ['--json', '--depth', '1'],
    ['--json', '--batch', '3', '--dtype', 'fp16', '--optimizer', 'adam'],
    [],
    ['--depth', '2', '--by', 'kind'],
    ['--format', 'markdown', '--depth', '1'],
    ['--format', 'csv'],
  ],
  graph: [[], ['--format', 'mermaid', '--depth', '1'], ['--depth', '1']],
  diff: [['--json'], ['--format', 'markdown'], ['--format', 'csv'], ['--json', '--fail-on', 'params>+5%']],
  check: [['--json'], ['--json'], ['--format', 'github'], ['--format', 'junit'], ['--strict']],
  sweep: [
    ['--batch', '1,3', '--json'],
    ['--resolution', '8:40:16', '--format', 'csv'],
    ['--fit', 'training_bytes<=64MiB', '--json'],
    ['--fit', 'macs<=1G', '--fit', 'peak_activation_bytes<1MiB', '--batch', '1,2,4', '--json'],
    ['--resolution', '16,32', '--batch', '1,2', '--html'],
  ],
  run: [
    ['--json', '--max-memory', '256MiB'],
    ['--json', '--batch', '2', '--max-memory', '256MiB'],
    ['--top', '2', '--max-memory', '256MiB'],
  ],
};

/** `--set` values that have broken front ends: wrong types, huge numbers, aliases, inherited names. */
export const HOSTILE_SETS: readonly string[] = [
  'width=0',
  'width=-1',
  'width=2.5',
  'width=1e9',
  'width=[1, 2]',
  'width=null',
  'width={}',
  'width="x"',
  'width=&a [*a]',
  'depth=18',
  'depth=0',
  'depth=1000',
  'classes=0',
  'growth=0',
  'stages={}',
  'constructor=1',
  '__proto__=1',
  'toString=1',
  'x=1',
  'cfg=&a [*a]',
];

const sets = fc.oneof(
  { weight: 4, arbitrary: fc.constant([] as string[]) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...HOSTILE_SETS), { minLength: 1, maxLength: 2 }) },
);

const generated: fc.Arbitrary<Case> = fc
  .record({
    model: generatedModel,
    command: commandFor(['analyze', 'analyze', 'graph', 'diff', 'check', 'check', 'run', 'run', 'sweep']),
    stdin: fc.boolean(),
    set: sets,
  })
  .map(({ model, command, stdin, set }) => ({ source: 'generated', text: model.text, command, stdin, set }));

const base = fc.oneof(...BASES.map((b) => ({ weight: b.weight, arbitrary: fc.constant(b.path) })));

const mutated: fc.Arbitrary<Case> = fc
  .record({
    base,
    mutations,
    withExpect: fc.boolean(),
    command: commandFor(['analyze', 'analyze', 'graph', 'diff', 'check', 'sweep']),
    stdin: fc.boolean(),
    set: sets,
  })
  .map((c) => ({ source: 'mutated', ...c }));

/** Mutations of generated models: structure the bundled files do not have (residuals, branches, repeats). */
const mutatedGenerated: fc.Arbitrary<Case> = fc
  .record({ model: generatedModel, mutations, command: commandFor(['analyze', 'graph', 'check', 'run']), stdin: fc.boolean() })
  .map(({ model, mutations: ms, command, stdin }) => ({
    source: 'mutated',
    base: '(generated)',
    generated: model.text,
    mutations: ms,
    withExpect: false,
    command,
    stdin,
    set: [],
  }));

export const fuzzCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 8, arbitrary: generated },
  { weight: 8, arbitrary: mutated },
  { weight: 4, arbitrary: mutatedGenerated },
  { weight: 1, arbitrary: weightsFile.map((w): Case => ({ source: 'weights', ...w })) },
  { weight: 1, arbitrary: npyFile.map((n): Case => ({ source: 'npy', ...n })) },
);
