/**
 * `cnnscope export`: its options and help. The command (export-command.ts) and the ONNX writer
 * with protobufjs load only when it runs.
 */
import type { Command } from 'commander';
import type { ExportFlags } from './export-command.js';
import type { CliIo } from './io.js';
import { collect, parseInteger } from './options.js';

/** The opsets written (src/onnx/export.ts's EXPORT_OPSETS, which loads with the writer). */
const OPSETS = { min: 13, max: 18, default: 17 } as const;

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
      const opset = parseInteger('--opset', flags.opset, OPSETS.min, OPSETS.max);
      const { exportCommand } = await import('./export-command.js');
      await exportCommand(model, flags, opset, io);
    });
}
