#!/usr/bin/env node
/**
 * Part of `npm run build`: bundles the CLI (dist/cli/main.js, as tsc built it, and its
 * dependencies) into dist/bundle/, which bin/cnnscope.js runs. Node then loads a few files
 * instead of ~150 modules: a third of a short command's CPU time. Lazily imported parts (the ONNX
 * front end with protobufjs) stay lazy: esbuild splits them into chunks of their own, loaded
 * when first imported. The library (dist/index.js) stays unbundled.
 *
 * The rule for files read at runtime: `import.meta.url` in a bundled module still names that
 * module's own file under dist/ (this script rewrites it), so `new URL('./x', import.meta.url)`
 * in src/a/b.ts resolves to dist/a/x whether bundled or not. The build must put such a file
 * there (as it does dist/bundled-index.json and dist/execute/worker.js).
 */
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const outdir = `${dist}bundle`;

/** Each `import.meta.url` of a dist/ module, as the URL of that module's file, relative to the bundle's. */
const ownUrls = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, async ({ path }) => {
      const text = await readFile(path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const own = relative(outdir, path).split('\\').join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(own)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

// Chunks are named by content hash: start empty, so no stale chunk stays.
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: `${dist}cli/main.js` },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // The CommonJS dependencies (commander, protobufjs) call require(): ESM output has none of its own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Loaded from node_modules as they are: onnxruntime-node is an optional peer with a native
  // binding (`run --engine onnxruntime`), elkjs a 1.6 MB layout engine only `report` loads.
  external: ['onnxruntime-node', 'elkjs', 'elkjs/*'],
  plugins: [ownUrls],
  logLevel: 'warning',
});
