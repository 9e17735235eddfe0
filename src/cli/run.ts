/**
 * `cnnscope run`: its options and help. The command itself (run-command.ts, execute mode) is
 * loaded when it runs: the other commands do without its code.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.js';
import { collect } from './options.js';
import type { RunFlags } from './run-command.js';

/**
 * Execute mode's limits and names the help shows, written out here so that declaring the command
 * loads no execute code: execute/threads.ts's MAX_THREADS, execute/onnxruntime.ts's
 * ONNXRUNTIME_VERSION, execute/report.ts's RUN_SCHEMA (test/cli/lazy-commands.test.ts holds them equal).
 */
export const RUN_HELP_FACTS = { MAX_THREADS: 64, ONNXRUNTIME_VERSION: '1.30.0', RUN_SCHEMA: 'cnnscope.run/1' } as const;
const { MAX_THREADS, ONNXRUNTIME_VERSION, RUN_SCHEMA } = RUN_HELP_FACTS;

export function registerRun(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('run a forward pass on the CPU (inference mode, float32) with seeded or real weights')
    .argument('<model>', 'a model file, a bundled model name (see `cnnscope list`), or - for stdin')
    .option(
      '-w, --weights <file>',
      "weights from a .safetensors file with state_dict keys (default: an ONNX file's own, else PyTorch's default initialization from --seed)",
    )
    .option(
      '--input <file>',
      'the input, a float32 (or float64) .npy array [N, C, H, W] or [C, H, W]; its shape sets the model input shape',
    )
    .option('--seed <n>', 'seed of the random input (standard normal) and of the default weights', '0')
    .option('-b, --batch <n>', "samples per batch (default: the --input array's, else 1)")
    .option('-t, --threads <n>', `worker threads sharing each matrix multiply (1 to ${MAX_THREADS})`, '1')
    .option('--engine <name>', "builtin (cnnscope's own, the reference) or onnxruntime (the optional package onnxruntime-node)", 'builtin')
    .option('--profile', 'time every layer: a table sorted by time, with MACs and GMAC/s')
    .option('--check-finite', 'check every layer for NaN and infinities as it runs (by default the outputs; --profile implies it)')
    .option('--json', `print a JSON object (schema ${RUN_SCHEMA}) instead of text`)
    .option('--save <file>', 'write the (first) output tensor to a float32 .npy file')
    .option('--top <k>', 'the k largest output values of each sample, with their indices (classifiers)')
    .option('-i, --input-shape <C,H,W>', "override the file's input shape")
    .option('-s, --set <name=value>', 'override a parameter of the file (repeatable)', collect, [])
    .option('-p, --preset <name>', "apply one of the file's presets")
    .option(
      '--max-memory <size>',
      'refuse runs whose estimated peak memory exceeds this, like 2GiB or 512MiB (default: half the free memory)',
    )
    .addHelpText(
      'after',
      `
Weights: without --weights every conv/linear weight and bias is U(-1/sqrt(fan_in), 1/sqrt(fan_in))
and batchnorm is the identity (weight 1, bias 0, mean 0, var 1), from a documented generator
seeded by --seed. A torchvision state_dict saved with safetensors loads as it is:
  python3 -c 'import torchvision; from safetensors.torch import save_file;
              save_file(torchvision.models.resnet50(weights="DEFAULT").state_dict(), "resnet50.safetensors")'

ONNX files: \`run model.onnx\` runs the file's own weights (its initializers; MatMul's are
transposed to nn.Linear's layout); --weights replaces them with a safetensors file keyed by the
layer names \`cnnscope analyze model.onnx\` shows. Weights stored as external data are read from
the file beside the model.

Engines: --engine onnxruntime runs the ONNX file in ONNX Runtime (CPU; --threads is its intra-op
thread count) and prints the same report, with the session's creation time apart from the pass
and, with --profile, ORT's kernel times per layer. It needs the optional package:
  npm i onnxruntime-node@${ONNXRUNTIME_VERSION}    (ONNXRUNTIME_NODE_INSTALL=skip skips its CUDA download)
On a YAML model it runs the model's ONNX export (opset 17, as \`cnnscope export\` writes it) with the
same weights (--weights or --seed). docs/onnx.md#engines has the details.

Output: the model, input and output shapes, the time, and the MACs executed next to the static
count (they are equal: every kernel counts what it multiplies). --json times differ run to run.
A NaN or infinity in any layer's output is reported on stderr with the first layer that made one,
and the exit code is 1. The estimated peak memory (live activations under the schedule, weights,
scratch) is checked before anything is allocated.

Examples:
  $ cnnscope run resnet50 --seed 1 --top 5
  $ cnnscope run resnet18 --weights resnet18.safetensors --input image.npy --top 5 --json
  $ cnnscope run densenet121 --input-shape 3,64,64 --batch 4 --profile
  $ cnnscope run vgg16 --threads 4 --save logits.npy
  $ cnnscope run model.onnx --engine onnxruntime --input image.npy --top 5`,
    )
    .action(async (model: string, flags: RunFlags) => {
      const { runCommand } = await import('./run-command.js');
      await runCommand(model, flags, io);
    });
}
