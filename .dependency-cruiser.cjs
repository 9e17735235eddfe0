/**
 * Import rules for src/ (`npm run lint` runs `depcruise src`). The folders form one pipeline and
 * depend one way:
 *
 *   leaves (vocabulary.ts, quantity.ts, kernels/)  <-  layers/  <-  graph/ (and bundled.ts)  <-  analysis/  <-  check/
 *   onnx/ is the second front end, beside graph/: it reads layers/ and graph/ (the IR it builds), nothing later;
 *   execute/ (the runtime) reads layers/, graph/ and analysis/; report/ formats what analysis/, check/
 *   and execute/ built; cli/ is the only folder that reads everything, and nothing reads cli/.
 *
 * Each rule below forbids the edges that would run the pipeline backwards; `no-circular` forbids
 * cycles between files, whatever folder they are in.
 */
/** The folders given, and src/bundled.ts (which reads the front end) when `bundled` is among them. */
const later = (...folders) => {
  const dirs = folders.filter((f) => f !== 'bundled');
  return `^src/(${dirs.join('|')})/` + (folders.includes('bundled') ? '|^src/bundled\\.ts$' : '');
};

/** Folders (or leaf files) and what they must not import. */
const forbidden = [
  ['leaf modules', '^src/(vocabulary|quantity)\\.ts$', '^src/(?!vocabulary\\.ts$|quantity\\.ts$)'],
  ['kernels', '^src/kernels/', '^src/(?!kernels/|vocabulary\\.ts$|quantity\\.ts$)'],
  ['layers', '^src/layers/', later('bundled', 'graph', 'onnx', 'analysis', 'check', 'execute', 'report', 'cli')],
  ['graph', '^src/graph/', later('bundled', 'onnx', 'analysis', 'check', 'execute', 'report', 'cli')],
  ['onnx', '^src/onnx/', later('bundled', 'analysis', 'check', 'execute', 'report', 'cli')],
  ['analysis', '^src/analysis/', later('bundled', 'check', 'execute', 'report', 'cli')],
  ['check', '^src/check/', later('execute', 'report', 'cli')],
  ['execute', '^src/execute/', later('check', 'report', 'cli')],
  ['bundled models', '^src/bundled\\.ts$', later('analysis', 'check', 'execute', 'report', 'cli')],
  ['report', '^src/report/', later('cli')],
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle between modules: one of them should not know about the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-cli',
      severity: 'error',
      comment: 'The CLI is the outermost layer: the library (src/index.ts and every folder) never imports it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'not-to-tests',
      severity: 'error',
      comment: 'The library does not import test code.',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    ...forbidden.map(([what, from, to]) => ({
      name: `one-way-${what.replace(/ /g, '-')}`,
      severity: 'error',
      comment: `${what} must not import a later stage of the pipeline (see the top of .dependency-cruiser.cjs).`,
      from: { path: from },
      to: { path: to },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
