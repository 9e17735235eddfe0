/**
 * `cnnscope export`: a model written as an ONNX file with its weights, seeded or from a
 * .safetensors file (src/onnx/export.ts, docs/onnx.md). The ONNX writer and protobufjs load only here.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { escapeUnprintable } from '../graph/diagnostics.js';
import { bytesText, grouped } from '../report/units.js';
import { type CliIo, UsageError } from './io.js';
import { isOnnxModel, loadModel, loadOnnx } from './load.js';
import { collect } from './options.js';
import { parseInteger, readWeights } from './run.js';

/** The opsets written (src/onnx/export.ts's EXPORT_OPSETS, which loads with the writer). */
const OPSETS = { min: 13, max: 18, default: 17 } as const;

interface ExportFlags {
  onnx: string;
  opset: string;
  weights?: string;
  seed: string;
  inputShape?: string;
  set: string[];
  preset?: string;
}

export function registerExport(program: Command, io: CliIo): void {
  program
    .command('export')
    .description('write a model as an ONNX file, with its weights (seeded, or from a .safetensors file)')
    .argument('<model>', 'a model file, a bundled model name (see `cnnscope list`), or - for stdin')
    .requiredOption('--onnx <file>', 'the ONNX file to write')
    .option('--opset <n>', `the ONNX operator set, ${OPSETS.min} to ${OPSETS.max}`, String(OPSETS.default))
    .option(
      '-w, --weights <file>',
      "weights from a .safetensors file with state_dict keys (default: PyTorch's default initialization from --seed)",
    )
    .option('--seed <n>', 'seed of the default weights', '0')
    .option('-i, --input-shape <C,H,W>', "override the file's input shape")
    .option('-s, --set <name=value>', 'override a parameter of the file (repeatable)', collect, [])
    .option('-p, --preset <name>', "apply one of the file's presets")
    .addHelpText(
      'after',
      `
The file: one node per layer (a few for layers ONNX has no single operator for), named by the
layer (layer1.0.conv1; the others layer1.0.conv1/<Op>); the weights as float32 initializers
named by their state_dict keys (batchnorm's num_batches_tracked is left out); input 'input' and
output 'output' (output_0, output_1, ... for several), with a dynamic batch dimension 'batch';
the model's name, file and cnnscope's version as metadata. \`cnnscope analyze\` of the file gives
the model's figures. docs/onnx.md lists the operators written per layer kind and opset.

Examples:
  $ cnnscope export resnet50 --onnx resnet50.onnx
  $ cnnscope export resnet18 --weights resnet18.safetensors --onnx resnet18.onnx --opset 13
  $ cnnscope export architectures/unet.yaml --input-shape 3,256,256 --onnx unet.onnx
  $ cnnscope export convnext_tiny --onnx convnext.onnx && cnnscope analyze convnext.onnx`,
    )
    .action(async (model: string, flags: ExportFlags) => {
      await exportCommand(model, flags, io);
    });
}

async function exportCommand(spec: string, flags: ExportFlags, io: CliIo): Promise<void> {
  const opset = parseInteger('--opset', flags.opset, OPSETS.min, OPSETS.max);
  const seed = parseInteger('--seed', flags.seed, 0, 0xffffffff);
  const options = {
    ...(flags.inputShape !== undefined ? { input: flags.inputShape } : {}),
    set: flags.set,
    ...(flags.preset ? { preset: flags.preset } : {}),
  };
  // An ONNX file is exported again with its own weights (unless --weights), as `run` reads them.
  const onnx = isOnnxModel(spec, io) ? await loadOnnx(spec, options, io) : undefined;
  const graph = onnx ? onnx.converted.graph : await loadModel(spec, options, io);
  const weights = await readWeights(
    graph,
    flags.weights,
    seed,
    io,
    (n) => new Float32Array(n),
    onnx ? { spec, converted: onnx.converted } : undefined,
  );
  const { exportOnnxModel, OnnxExportError } = await import('../onnx/export.js');
  let written;
  try {
    written = exportOnnxModel(graph, weights, { opset, source: spec });
  } catch (e) {
    if (e instanceof OnnxExportError) throw new UsageError(e.message);
    throw e;
  }
  try {
    writeFileSync(resolve(io.cwd, flags.onnx), written.bytes);
  } catch (e) {
    throw new UsageError(`--onnx ${flags.onnx}: cannot write the file: ${(e as Error).message}`);
  }
  io.stdout.write(
    `${escapeUnprintable(flags.onnx)}: ${bytesText(written.bytes.length)}, ONNX opset ${opset}, ${grouped(written.nodes)} nodes, ` +
      `${grouped(written.initializers)} initializers (${flags.weights !== undefined ? `weights from ${escapeUnprintable(flags.weights)}` : `PyTorch default init, seed ${seed}`})\n`,
  );
}
