/** `cnnscope list`: the bundled architectures, with family, source and parameter count. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { analyze } from '../analysis/report.js';
import { bundledModels } from '../bundled.js';
import { buildGraph } from '../graph/build.js';
import { colourFor } from '../report/style.js';
import { textTable } from '../report/text-table.js';
import { decimal, grouped } from '../report/units.js';
import type { CliIo } from './io.js';

export function registerList(program: Command, io: CliIo): void {
  program
    .command('list')
    .description('list the bundled architectures')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', "\nExamples:\n  $ cnnscope list\n  $ cnnscope list --json | jq -r '.[].name'")
    .action((flags: { json?: boolean }) => {
      const rows = bundledModels().map((m) => {
        const graph = buildGraph(readFileSync(m.path, 'utf8'), { file: m.path, ...(m.preset ? { preset: m.preset } : {}) });
        const report = analyze(graph);
        return { name: m.name, family: m.family ?? '', source: m.source ?? '', params: report.totals.params, macs: report.totals.macs };
      });
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const colour = colourFor(io.stdout, io.env);
      const table = textTable(
        ['Name', 'Family', 'Params', 'MACs', 'Source'].map((h) => colour.bold(h)),
        ['left', 'left', 'right', 'right', 'left'],
        rows.map((r) => [r.name, r.family, grouped(r.params), decimal(r.macs, 'MAC'), r.source]),
      );
      io.stdout.write(`${table}\n`);
    });
}
