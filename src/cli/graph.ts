/**
 * `cnnscope graph`: its options and help. The command (graph-command.ts) and the DOT and
 * Mermaid writers load only when it runs.
 */
import type { Command } from 'commander';
import type { GraphFlags } from './graph-command.js';
import type { CliIo } from './io.js';
import { collect } from './options.js';

export function registerGraph(program: Command, io: CliIo): void {
  program
    .command('graph')
    .description('the layer graph as Graphviz DOT or Mermaid, folded into blocks with --depth')
    .argument('<model>', 'a model file, a bundled model name (see `cnnscope list`), or - for stdin')
    .option('-f, --format <format>', 'dot (Graphviz, the default) or mermaid')
    .option('--depth <n>', 'fold layers into blocks n name levels deep: one node per block, edges between blocks')
    .option('-i, --input <C,H,W>', "override the file's input shape")
    .option('-s, --set <name=value>', 'override a parameter of the file (repeatable)', collect, [])
    .option('-p, --preset <name>', "apply one of the file's presets")
    .addHelpText(
      'after',
      `
Nodes show the name, kind, output shape (per sample) and parameters; add and concat (merge points)
have their own shapes, a branch point a thick border, an output a double border; clusters are the
model's blocks. Rendering needs Graphviz (not a dependency of cnnscope) or a Mermaid viewer.

Examples:
  $ cnnscope graph googlenet | dot -Tpng -o googlenet.png
  $ cnnscope graph resnet50 --depth 2 | dot -Tsvg -o resnet50.svg
  $ cnnscope graph architectures/lecture/bottleneck.yaml --format mermaid`,
    )
    .action(async (model: string, flags: GraphFlags) => {
      const { graphCommand } = await import('./graph-command.js');
      await graphCommand(model, flags, io);
    });
}
