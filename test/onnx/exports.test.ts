/**
 * Every torchvision export in test/fixtures/onnx/ (scripts/onnx_exports.py, opsets 13 and 17)
 * against its bundled YAML twin (twins.ts says what must agree). `npm test` checks one model per
 * family at both opsets; CNNSCOPE_ONNX_ALL=1 checks every export (about a minute).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findBundled } from '../../src/index.js';
import { compareTwin } from './twins.js';

const DIR = new URL('../fixtures/onnx/', import.meta.url);
/** One model of each family, the smallest: what `npm test` checks. */
const REPRESENTATIVE = [
  'alexnet',
  'vgg11_bn',
  'googlenet',
  'inception_v3',
  'resnet18',
  'resnext50_32x4d',
  'wide_resnet50_2',
  'densenet121',
  'squeezenet1_0',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'mnasnet0_5',
  'shufflenet_v2_x0_5',
  'efficientnet_b0',
  'efficientnet_v2_s',
  'regnet_x_400mf',
  'regnet_y_400mf',
  'convnext_tiny',
  'unet',
];
const ALL = process.env['CNNSCOPE_ONNX_ALL'] === '1';

const exports = readdirSync(DIR)
  .map((f) => /^(.+)_opset(\d+)\.onnx$/.exec(f))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => ({ file: m[0], model: m[1], opset: Number(m[2]) }))
  .filter((e) => ALL || REPRESENTATIVE.includes(e.model));

describe('torchvision ONNX exports against their YAML twins', () => {
  for (const e of exports) {
    // Only models bundled here have a twin (convnext and unet come with their YAML files).
    it.skipIf(!findBundled(e.model))(`${e.model} opset ${e.opset}`, () => {
      const c = compareTwin(new URL(e.file, DIR).pathname, e.model, e.opset);
      if (process.env['CNNSCOPE_ONNX_TABLE']) console.log(JSON.stringify(c));
      expect(c.onnxMacs).toBe(c.yamlMacs);
      expect(c.mismatches).toEqual([]);
      expect(c.onnxParams).toBe(c.expectedParams);
      expect(c.onnxActivations - c.onnxOnlyActivations).toBe(c.yamlActivations - c.yamlOnlyActivations);
      if (Object.keys(c.missing).length === 0) expect(c.onnxActivations).toBe(c.yamlActivations);
    });
  }
});
