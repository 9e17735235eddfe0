/**
 * The library API: everything the CLI does is available here. The graph is the one
 * intermediate representation; analyses are pure functions over it; renderers format reports.
 */
import { readFileSync } from 'node:fs';
import { buildGraph, type BuildOptions } from './graph/build.js';
import type { Graph } from './graph/graph.js';
import { findBundled } from './cli/bundled.js';

export { buildGraph, MAX_LAYERS, MAX_TENSOR_ELEMENTS, type BuildOptions } from './graph/build.js';
export { ModelError, formatDiagnostic, type Diagnostic, type SourcePos } from './graph/diagnostics.js';
export { consumers, type Graph, type LayerNode } from './graph/graph.js';
export { layerKinds } from './layers/index.js';
export type { LayerKind, Shape, TensorSpec, OpCount, FieldStep } from './layers/kind.js';
export { analyze, AnalysisError, REPORT_SCHEMA, type Report, type LayerReport, type AnalyzeOptions } from './analysis/report.js';
export { layerParams, type ParamCount } from './analysis/params.js';
export { renderJson } from './report/json.js';
export { renderTable } from './report/table.js';
export { bundledModels, findBundled, ARCHITECTURES_DIR, type BundledModel } from './cli/bundled.js';

/** Builds a bundled model by name (`resnet50`, `vgg16_bn`, `lecture/bottleneck`). */
export function loadBundled(name: string, options: Omit<BuildOptions, 'file'> = {}): Graph {
  const found = findBundled(name);
  if (!found) throw new Error(`no bundled model '${name}'`);
  const preset = options.preset ?? found.preset;
  return buildGraph(readFileSync(found.path, 'utf8'), { ...options, file: found.path, ...(preset !== undefined ? { preset } : {}) });
}
