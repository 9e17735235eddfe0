/** `cnnscope run`, in-process through the CLI runner, as a user would call it. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, readNpy } from '../../src/execute/npy.js';
import { encodeSafetensors, type TensorToWrite } from '../../src/execute/safetensors.js';
import { relativeError, tensor } from '../../src/kernels/tensor.js';
import { cli, modelFile } from '../cli/run.js';
import { reference, tinyNet } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnscope-run-'));
const out = (name: string) => join(dir, name);

const net = tinyNet('inception_branches');
const tinyModel = modelFile(JSON.stringify(net.model), 'inception_branches.yaml');
const tinyInput = out('tiny_input.npy');
writeFileSync(tinyInput, encodeNpy(tensor(net.input_shape, Float32Array.from(net.input))));

/** The tiny net's weights as a safetensors file, with `edit` applied to the float tensors. */
function tinyWeightsFile(name: string, edit: (t: Record<string, TensorToWrite>) => void = () => {}): string {
  const tensors: Record<string, TensorToWrite> = {};
  for (const p of net.params) if (p.dtype === 'float') tensors[p.key] = { dtype: 'F32', shape: p.shape, data: Float32Array.from(p.values) };
  edit(tensors);
  const path = out(name);
  writeFileSync(path, encodeSafetensors(tensors));
  return path;
}

describe('cnnscope run', () => {
  it('runs a bundled model with seeded weights and input, and prints the summary', async () => {
    const r = await cli(['run', 'resnet18', '--input-shape', '3,32,32', '--seed', '1', '--top', '3']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('resnet18  input [1, 3, 32, 32] (random normal (seed 1))');
    expect(r.stdout).toContain('Weights: PyTorch default init (seed 1)');
    expect(r.stdout).toContain('Output: fc [1, 1000]');
    expect(r.stdout).toMatch(/Time: [\d.]+ (ms|s), 1 thread, [\d.]+ GMAC\/s/);
    expect(r.stdout).toMatch(/MACs executed: 37,\d{3},\d{3} \(37\.\d MMAC\); static: 37,\d{3},\d{3} \(equal\)/);
    expect(r.stdout).toMatch(/Top 3 of fc:\n {3}1\. index +\d+ +-?[\d.e-]+\n {3}2\. .*\n {3}3\. /);
  });

  it('prints the documented JSON object', async () => {
    const r = await cli(['run', 'resnet18', '--input-shape', '3,32,32', '--batch', '2', '--top', '2', '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(Object.keys(rep)).toEqual(['schema', 'model', 'input', 'weights', 'threads', 'engine', 'outputs', 'macs', 'time_ms']);
    expect(rep.schema).toBe('cnnscope.run/1');
    expect(rep.model).toBe('resnet18');
    expect(rep.input).toEqual({ shape: [2, 3, 32, 32], source: 'random normal (seed 0)' });
    expect(rep.threads).toBe(1);
    expect(rep.outputs).toHaveLength(1);
    expect(rep.outputs[0].name).toBe('fc');
    expect(rep.outputs[0].shape).toEqual([2, 1000]);
    expect(rep.outputs[0].top.map((t: { sample: number }) => t.sample)).toEqual([0, 0, 1, 1]);
    expect(rep.outputs[0].top[0].value).toBeGreaterThanOrEqual(rep.outputs[0].top[1].value);
    expect(rep.macs.executed).toBe(rep.macs.static);
    expect(rep.macs.static).toBeGreaterThan(0);
    expect(typeof rep.time_ms).toBe('number');
    // Everything but the time is deterministic.
    const again = JSON.parse((await cli(['run', 'resnet18', '--input-shape', '3,32,32', '--batch', '2', '--top', '2', '--json'])).stdout);
    expect({ ...again, time_ms: 0 }).toEqual({ ...rep, time_ms: 0 });
  });

  it('reproduces PyTorch from a .npy input and a safetensors weights file, and saves the output', async () => {
    const saved = out('tiny_out.npy');
    const r = await cli([
      'run',
      tinyModel,
      '--input',
      tinyInput,
      '--weights',
      reference('tiny_inception.safetensors'),
      '--save',
      saved,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.input.shape).toEqual(net.input_shape);
    expect(rep.weights).toBe(reference('tiny_inception.safetensors'));
    const y = readNpy(saved);
    expect(y.shape).toEqual(net.output_shape);
    expect(relativeError(y.data, net.output)).toBeLessThan(1e-4);
  });

  it('takes the model input shape from a [C, H, W] .npy array', async () => {
    const image = out('image.npy');
    writeFileSync(image, encodeNpy(tensor([3, 40, 36])));
    const r = await cli(['run', 'resnet18', '--input', image, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).input.shape).toEqual([1, 3, 40, 36]);
  });

  it('profiles every layer, sorted by time, with totals', async () => {
    const r = await cli(['run', tinyModel, '--input', tinyInput, '--weights', reference('tiny_inception.safetensors'), '--profile']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/│ Layer +│ Kind +│ +Time ms │ +Share │ +MACs │ GMAC\/s │/);
    expect(r.stdout).toMatch(/│ Total +│ +│ +[\d.]+ │ 100\.0% │ +[\d,]+ │ +[\d.]+ │/);
    const json = JSON.parse((await cli(['run', tinyModel, '--input', tinyInput, '--profile', '--json'])).stdout);
    expect(json.profile).toHaveLength(15);
    const times = json.profile.map((p: { time_ms: number }) => p.time_ms);
    expect(times).toEqual([...times].sort((a: number, b: number) => b - a));
    expect(json.profile.find((p: { name: string }) => p.name === 'b2b')).toMatchObject({ kind: 'conv', macs: 2 * 3 * 2 * 9 * 49 });
  });

  it('never draws a progress bar when stderr is not a terminal', async () => {
    const r = await cli(['run', 'lecture/conv3x3_256']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('reports non-finite values with the first layer that made them, exit 1', async () => {
    const weights = tinyWeightsFile('inf.safetensors', (t) => {
      (t['b2b.weight'].data as Float32Array)[0] = Infinity;
    });
    const r = await cli(['run', tinyModel, '--input', tinyInput, '--weights', weights]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Output: softmax [2, 5]');
    expect(r.stderr).toMatch(
      /^cnnscope: warning: layer 'b2b' \(conv\) is the first to produce a NaN or infinity \(element \d+ of its output\); 10 output values are not finite\n$/,
    );
    expect(JSON.parse((await cli(['run', tinyModel, '--input', tinyInput, '--weights', weights, '--json'])).stdout).non_finite).toEqual({
      layer: 'b2b',
      kind: 'conv',
    });
  });

  it('lists every tensor that does not fit in one error, exit 2', async () => {
    const weights = tinyWeightsFile('bad.safetensors', (t) => {
      delete t['fc2.bias'];
      t['fc3.weight'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) };
    });
    const r = await cli(['run', tinyModel, '--weights', weights]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `cnnscope: error: ${weights}: 2 tensors do not fit the model 'inception_branches':\n  1 missing from the file:\n    fc2.bias [5]\n  1 not in the model:\n    fc3.weight [1]\n`,
    );
  });

  it('refuses unreadable files with one line naming the file, exit 2', async () => {
    const junk = out('junk.bin');
    writeFileSync(junk, 'definitely not a tensor file');
    for (const [args, message] of [
      [['--weights', 'nope.safetensors'], /^cnnscope: error: nope\.safetensors: cannot open the weights file: ENOENT/],
      [['--weights', junk], /^cnnscope: error: .*junk\.bin: not a valid safetensors file: the header length \d+ is beyond/],
      [['--input', 'nope.npy'], /^cnnscope: error: nope\.npy: cannot read the file/],
      [['--input', junk], /^cnnscope: error: .*junk\.bin: not a readable \.npy file/],
    ] as const) {
      const r = await cli(['run', tinyModel, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('checks the input against the model and the options', async () => {
    const flat = out('flat.npy');
    writeFileSync(flat, encodeNpy(tensor([2, 5])));
    const cases: [string[], RegExp][] = [
      [['--input', tinyInput, '--input-shape', '4,8,8'], /sample shape \[4, 7, 7\] differs from --input-shape \[4, 8, 8\]/],
      [['--input', tinyInput, '--batch', '3'], /--batch 3 differs from the 2 samples of --input/],
      // A flat [N, F] array makes the model's input [F]: its first conv refuses it.
      [['--input', flat], /inception_branches\.yaml:.*conv expects a feature map \[C, H, W\], got \[5\]/],
      [['--seed', '-1'], /--seed -1: expected an integer from 0 to 4,294,967,295/],
      [['--threads', '0'], /--threads 0: expected an integer from 1 to 64/],
      [['--top', '0'], /--top 0: expected an integer/],
      [['--max-memory', 'lots'], /--max-memory lots: 'lots' is not a number \(bytes take B, KiB, MiB, GiB, TiB/],
      [['--max-memory', '500MB'], /--max-memory 500MB: '500MB' is ambiguous for bytes/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['run', tinyModel, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('refuses a run whose estimated memory exceeds --max-memory, before allocating', async () => {
    const r = await cli(['run', 'vgg16', '--max-memory', '100MiB']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^cnnscope: error: the run needs about [\d.]+ MiB \(activations [\d.]+ MiB at batch 1, weights 528 MiB, scratch [\d.]+ MiB, packed weights [\d.]+ MiB\), more than the --max-memory limit of 100 MiB; use a smaller --batch/,
    );
    expect((await cli(['run', 'resnet18', '--input-shape', '3,32,32', '--max-memory', '256MiB'])).code).toBe(0);
  });

  it('documents the command in --help', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: cnnscope run [options] <model>');
    expect(r.stdout).toContain('save_file(torchvision.models.resnet50(weights="DEFAULT").state_dict(), "resnet50.safetensors")');
    expect(r.stdout).toContain('$ cnnscope run resnet50 --seed 1 --top 5');
    expect(r.stdout).toMatch(/exit code is 1/);
  });

  // Worker threads run the built worker (dist/execute/worker.js): `npm test` builds first.
  it.skipIf(!existsSync(new URL('../../dist/execute/worker.js', import.meta.url)))(
    'gives identical results with worker threads',
    async () => {
      const one = out('t1.npy');
      const two = out('t2.npy');
      const args = ['run', 'resnet18', '--input-shape', '3,64,64', '--batch', '2'];
      expect((await cli([...args, '--save', one])).code).toBe(0);
      const r = await cli([...args, '--save', two, '--threads', '2', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).threads).toBe(2);
      expect(readNpy(two).data).toEqual(readNpy(one).data);
    },
  );
});
