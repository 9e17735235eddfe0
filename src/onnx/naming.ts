/**
 * Layer and module names of a converted graph, from torch's node names
 * (`/layer1/layer1.0/conv1/Conv` is `layer1.0.conv1`), or the output names.
 */
import type { LayerNode, ScopeInfo } from '../graph/graph.js';
import type { Draft, NodeAt } from './values.js';

/**
 * torch names a node by its module scopes and operator, `/layer2/layer2.0/downsample/downsample.0/Conv`:
 * each scope is its module's name in its parent, prefixed by the parent's (a Sequential's child
 * `downsample.0`) or not (`conv1`), so the module path is `layer2.0.downsample.0` and the operator
 * part `conv`. Other names are taken whole (or the first output's name).
 */
export function nameParts(at: NodeAt): { module: string; op: string } {
  const name = at.node.name || at.node.outputs[0] || at.node.opType;
  const segments = name.split('/').filter((s) => s !== '');
  if (!name.startsWith('/') || segments.length === 0) return { module: '', op: name };
  let path = '';
  let local = '';
  for (const s of segments.slice(0, -1)) {
    path = local !== '' && s.startsWith(`${local}.`) ? path + s.slice(local.length) : path === '' ? s : `${path}.${s}`;
    local = s;
  }
  return { module: path, op: segments[segments.length - 1].toLowerCase() };
}

/**
 * Final names: a module that owns one layer, and encloses no other, names it (`layer1.0.conv1`);
 * otherwise the operator part is added (`layer1.0.add`, `features.0.2.hardsigmoid`). Duplicates
 * get `_2`, `_3`.
 */
export function layerNames(drafts: readonly Draft[]): string[] {
  const owners = new Map<string, number>();
  for (const d of drafts) if (d.module !== '') owners.set(d.module, (owners.get(d.module) ?? 0) + 1);
  const modules = [...owners.keys()];
  const encloses = new Set<string>();
  for (const m of modules) {
    for (let i = m.indexOf('.'); i > 0; i = m.indexOf('.', i + 1)) encloses.add(m.slice(0, i));
  }
  const used = new Set<string>();
  return drafts.map((d, id) => {
    if (id === 0) {
      used.add('input');
      return 'input';
    }
    const alone = d.module !== '' && owners.get(d.module) === 1 && !encloses.has(d.module);
    let name = (alone ? d.module : d.module !== '' ? `${d.module}.${d.op}` : d.op) + d.suffix;
    if (used.has(name)) {
      let k = 2;
      while (used.has(`${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    used.add(name);
    return name;
  });
}

/** Every proper dotted prefix of a layer name is a scope (a module), its output its last layer. */
export function scopes(nodes: readonly LayerNode[]): ScopeInfo[] {
  const last = new Map<string, number>();
  for (const n of nodes) {
    if (n.id === 0) continue;
    for (let i = n.name.indexOf('.'); i > 0; i = n.name.indexOf('.', i + 1)) last.set(n.name.slice(0, i), n.id);
  }
  return [...last.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, output]) => ({ name, kind: 'module', output }));
}
