import { describe, expect, it } from 'vitest';
import { liveActivationBytes, outputBytes } from '../../src/analysis/memory.js';
import { analyze } from '../../src/analysis/report.js';
import { loadBundled } from '../../src/index.js';

describe('liveActivationBytes', () => {
  it("steps through the schedule to the report's peak, at the layer it names", () => {
    for (const name of ['resnet50', 'googlenet', 'densenet121', 'mobilenet_v3_small', 'lecture/bottleneck']) {
      const graph = loadBundled(name);
      const report = analyze(graph, { batch: 2, dtype: 'fp16' });
      const { live, at } = liveActivationBytes(graph, outputBytes(graph, 2, 'fp16'));
      expect(live).toHaveLength(graph.nodes.length);
      const peak = Math.max(...live);
      expect(peak).toBe(report.totals.peak_activation_bytes);
      expect(graph.nodes[at[live.indexOf(peak)]].name).toBe(report.memory.peak_at);
      // Step 0 is the input alone.
      expect(live[0]).toBe(report.input.shape.reduce((a, b) => a * b, 1) * 2);
    }
  });
});
