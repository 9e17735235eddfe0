/**
 * `cnnscope export` (declared in export.ts): a model written as an ONNX file with its weights, seeded or from a
 * .safetensors file (src/onnx/export.ts, docs/onnx.md). The ONNX writer and protobufjs load only here.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { escapeUnprintable } from '../graph/diagnostics.js';
import { bytesText, grouped } from '../report/units.js';
import { type CliIo, UsageError } from './io.js';
import { isOnnxModel, loadModel, loadOnnx } from './load.js';
import { parseInteger } from './options.js';
import { readWeights } from './run-command.js';

export interface ExportFlags {
  onnx: string;
  opset: string;
  weights?: string;
  seed: string;
  inputShape?: string;
  set: string[];
  preset?: string;
}

/** The export at `opset`, which export.ts has checked. */
export async function exportCommand(spec: string, flags: ExportFlags, opset: number, io: CliIo): Promise<void> {
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
