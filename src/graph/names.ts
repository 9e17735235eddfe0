/**
 * Layer names and the scopes they live in: PyTorch's dotted module paths (`layer1.0.conv1`),
 * generated indices for unnamed layers, duplicate detection, and `inputs` lookups from the
 * innermost scope outwards.
 */
import type { DiagnosticBag, SourcePos } from './diagnostics.js';
import type { LayerNode, ScopeInfo } from './graph.js';
import { didYouMean } from './suggest.js';
import type { Who } from './values.js';

/** Node id of a layer that failed: readers of it are skipped without further errors. */
export const POISONED = -1;

/** Where generated names go: a module path prefix and the next free index (nn.Sequential's convention). */
export interface NameScope {
  readonly prefix: string;
  next: number;
  readonly parent: NameScope | undefined;
}

export function joinName(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

export class Names {
  /** Full name to node id (or POISONED), for `inputs` lookups and duplicate detection. */
  private readonly byName = new Map<string, { id: number; pos: SourcePos }>();
  private readonly groups: ScopeInfo[] = [];
  /** `inputs` that named nothing defined before them; checked at the end to tell a cycle from a typo. */
  private readonly unresolved: { name: string; pos: SourcePos; layer: Who }[] = [];

  constructor(
    private readonly bag: DiagnosticBag,
    /** The graph's nodes so far, to name the kind of a duplicate. */
    private readonly nodes: readonly LayerNode[],
  ) {}

  /** `base` if free in `scope`, else `base_1`, `base_2`, ... */
  fresh(scope: NameScope, base: string): string {
    for (let k = 0; ; k++) {
      const local = k === 0 ? base : `${base}_${k}`;
      if (!this.byName.has(joinName(scope.prefix, local))) return local;
    }
  }

  /** Gives `id` the name `fullName`; a duplicate is reported and poisons it. */
  register(fullName: string, id: number, pos: SourcePos): number {
    const seen = this.byName.get(fullName);
    if (seen) {
      const kind = id >= 0 ? this.nodes[id].kind : 'layer';
      this.bag.error(pos, `duplicate name '${fullName}' (first used at line ${seen.pos.line})`, { name: fullName, kind });
      return POISONED;
    }
    this.byName.set(fullName, { id, pos });
    return id;
  }

  /** A named group of layers (block instance, sequential, repeat group), for folding reports by depth. */
  registerScope(fullName: string, kind: string, output: number, pos: SourcePos): number {
    const id = this.register(fullName, output, pos);
    if (id >= 0) this.groups.push({ name: fullName, kind, output: id });
    return id;
  }

  /** The named groups, sorted by name. */
  scopes(): ScopeInfo[] {
    return [...this.groups].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The ids `names` refer to, each looked up from the innermost scope outwards, then as a full
   * name. Undefined when one names nothing yet: reported by `reportUnresolved` at the end.
   */
  resolve(names: readonly string[], scope: NameScope, pos: SourcePos, who: Who): number[] | undefined {
    const ids: number[] = [];
    for (const n of names) {
      let found: { id: number } | undefined;
      for (let s: NameScope | undefined = scope; s && !found; s = s.parent) found = this.byName.get(joinName(s.prefix, n));
      if (!found) {
        this.unresolved.push({ name: n, pos, layer: who });
        return undefined;
      }
      ids.push(found.id);
    }
    return ids;
  }

  reportUnresolved(): void {
    for (const u of this.unresolved) {
      const later = [...this.byName.keys()].find((k) => k === u.name || k.endsWith(`.${u.name}`));
      if (later) {
        this.bag.error(
          u.pos,
          `input '${u.name}' is defined after this layer (line ${this.byName.get(later)!.pos.line}): a layer may only read earlier layers, so this would make a cycle`,
          u.layer,
        );
      } else {
        const others = [...this.byName.keys()].filter((k) => k !== u.layer.name).map((k) => k.split('.').pop()!);
        this.bag.error(u.pos, `no layer named '${u.name}'${didYouMean(u.name, others)}`, u.layer);
      }
    }
  }
}
