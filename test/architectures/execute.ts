/**
 * Execute mode against PyTorch for a bundled torchvision model, as a user runs it: the
 * state_dict (here the synthetic weights of test/fixtures/reference/full_nets.json, which
 * scripts/torch_reference_nets.py loads into the torchvision model) saved as safetensors under
 * torchvision's keys, loaded back, run on the fixture's input and compared with PyTorch's output.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { execute } from '../../src/execute/execute.js';
import { readNpy } from '../../src/execute/npy.js';
import { encodeSafetensors, type TensorToWrite } from '../../src/execute/safetensors.js';
import { loadWeights, syntheticWeights, weightSlots } from '../../src/execute/weights.js';
import { loadBundled } from '../../src/index.js';
import { relativeError } from '../../src/kernels/tensor.js';
import { reference } from '../execute/helpers.js';

interface FullNet {
  readonly model: string;
  readonly input: string;
  readonly seed: number;
  readonly files: Readonly<Record<string, string>>;
  readonly output_shape: readonly number[];
}

const NETS = (JSON.parse(readFileSync(reference('full_nets.json'), 'utf8')) as { nets: FullNet[] }).nets;

/** One test: `model` through safetensors matches PyTorch's float32 output within 1e-4 (relative to its largest value). */
export function itRunsLikePyTorch(model: string): void {
  const net = NETS.find((n) => n.model === model)!;
  it(`${model} at ${net.input.replace(/^full_input_|\.npy$/g, '')}: weights from safetensors, output as PyTorch's`, () => {
    const input = readNpy(reference(net.input));
    const graph = loadBundled(model, { input: input.shape.slice(1) });
    const synthetic = syntheticWeights(graph, net.seed);
    const tensors: Record<string, TensorToWrite> = {};
    for (const { key, node, spec } of weightSlots(graph)) {
      if (spec.dtype !== 'float') continue;
      // F32 as raw little-endian bytes (this machine's order), as torch's save_file writes them.
      const values = synthetic.get(node.id)![spec.name];
      tensors[key] = { dtype: 'F32', shape: spec.shape, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
    }
    const path = join(mkdtempSync(join(tmpdir(), 'cnnscope-zoo-')), `${model}.safetensors`);
    writeFileSync(path, encodeSafetensors(tensors));
    const out = execute(graph, { weights: loadWeights(graph, path), input }).outputs[0].tensor;
    expect(out.shape).toEqual(net.output_shape);
    expect(relativeError(out.data, readNpy(reference(net.files['output'])).data)).toBeLessThan(1e-4);
  });
}
