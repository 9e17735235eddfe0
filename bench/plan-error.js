#!/usr/bin/env node
/**
 * How far the plan (the fast engine) is from the reference path, per model: the largest
 * |plan - reference| over the largest |reference| of the output, at 64x64 with the synthetic
 * weights (docs/metrics.md "The engine: the plan" quotes it).
 *
 *   node bench/plan-error.js mobilenet_v2 resnet18 ...   (after npm run build)
 */
import { loadBundled } from '../dist/index.js';
import { LocalContext } from '../dist/execute/context.js';
import { execute } from '../dist/execute/execute.js';
import { fillNormal, stream } from '../dist/execute/random.js';
import { syntheticWeights } from '../dist/execute/weights.js';

const models = process.argv.slice(2);
for (const model of models.length
  ? models
  : ['resnet18', 'resnet50', 'googlenet', 'densenet121', 'efficientnet_b0', 'convnext_tiny', 'mnasnet0_5', 'mobilenet_v2']) {
  const graph = loadBundled(model, { input: [3, 64, 64] });
  const weights = syntheticWeights(graph, 0);
  const input = { shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64) };
  fillNormal(input.data, stream(0, 'input'));
  const run = (engine) => execute(graph, { weights, input, context: new LocalContext(), engine }).outputs[0].tensor.data;
  const plan = run('plan');
  const reference = run('reference');
  let err = 0;
  let scale = 0;
  for (let i = 0; i < plan.length; i++) {
    err = Math.max(err, Math.abs(plan[i] - reference[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  console.log(`${model}\t${(err / scale).toExponential(1)}`);
}
