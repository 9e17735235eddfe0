/**
 * The mobile families (issue 11) in execute mode against PyTorch, as a user would run them: a
 * safetensors file with exactly torchvision's state_dict (its keys, shapes and dtypes, from the
 * torchvision fixture) holding the reference fixtures' synthetic weights, the 64x64 input of
 * full_nets.json, and `cnnscope run --weights --input --save`. The same nets run through
 * syntheticWeights directly in reference.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/execute/npy.js';
import { encodeSafetensors, type TensorToWrite } from '../../src/execute/safetensors.js';
import { syntheticWeights, weightSlots } from '../../src/execute/weights.js';
import { relativeError } from '../../src/kernels/tensor.js';
import { loadBundled } from '../../src/index.js';
import { loadFixture } from '../architectures/torchvision.js';
import { cli } from '../cli/run.js';
import { reference } from './helpers.js';

const TOLERANCE = 1e-4;
const SEED = 0;
const dir = mkdtempSync(join(tmpdir(), 'cnnscope-mobile-'));

/** torchvision's state_dict of `model` with the synthetic weights, as `save_file(model.state_dict(), path)` writes it. */
function torchvisionWeightsFile(model: string, input: readonly number[]): string {
  const graph = loadBundled(model, { input: input.slice(1) });
  const weights = syntheticWeights(graph, SEED);
  const ours = new Map(weightSlots(graph).map((slot) => [slot.key, slot]));
  const tensors: Record<string, TensorToWrite> = {};
  for (const [key, shape, dtype] of loadFixture(model).state_dict) {
    if (dtype === 'int64') {
      tensors[key] = { dtype: 'I64', shape, data: new Uint8Array(8) };
      continue;
    }
    const slot = ours.get(key);
    if (!slot) throw new Error(`${model}: no tensor of ours for torchvision's ${key}`);
    tensors[key] = { dtype: 'F32', shape, data: weights.get(slot.node.id)![slot.spec.name] };
  }
  const path = join(dir, `${model}.safetensors`);
  writeFileSync(path, encodeSafetensors(tensors, { format: 'pt' }));
  return path;
}

describe('mobile networks from a torchvision state_dict in safetensors, at 64x64', () => {
  for (const model of ['mobilenet_v2', 'mobilenet_v3_small', 'shufflenet_v2_x0_5']) {
    it(`${model} matches PyTorch through cnnscope run`, async () => {
      const inputFile = reference('full_input_3x64x64.npy');
      const input = readNpy(inputFile);
      const saved = join(dir, `${model}_output.npy`);
      const r = await cli([
        'run',
        model,
        '--input',
        inputFile,
        '--weights',
        torchvisionWeightsFile(model, input.shape),
        '--save',
        saved,
        '--json',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = readNpy(saved);
      const expected = readNpy(reference(`full_${model}_output.npy`));
      expect(out.shape).toEqual(expected.shape);
      expect(relativeError(out.data, expected.data)).toBeLessThan(TOLERANCE);
    });
  }
});
