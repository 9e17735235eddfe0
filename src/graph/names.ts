/**
 * Layer names and the scopes they live in: PyTorch's dotted module paths (`layer1.0.conv1`),
 * generated indices for unnamed layers, duplicate detection, and `inputs` lookups from the
 * innermost scope outwards.
 */
import type { DiagnosticBag, SourcePos } from './diagnostics.js';
import type { LayerNode, ScopeInfo } from './graph.js';
import { closeMatches, suggestion } from './suggest.js';
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
    // Searched once per name asked for: one wrong name in a million repeated layers is not a million searches of every name.
    const searches = new Map<string, { later: string | undefined; close: string[] }>();
    const shortCounts = new Map<string, number>();
    for (const k of this.byName.keys()) shortCounts.set(shortName(k), (shortCounts.get(shortName(k)) ?? 0) + 1);
    for (const u of this.unresolved) {
      let search = searches.get(u.name);
      if (!search) {
        const later = [...this.byName.keys()].find((k) => k === u.name || k.endsWith(`.${u.name}`));
        search = { later, close: later ? [] : closeMatches(u.name, shortCounts.keys(), Infinity) };
        searches.set(u.name, search);
      }
      const later = search.later;
      if (later) {
        this.bag.error(
          u.pos,
          `input '${u.name}' is defined after this layer (line ${this.byName.get(later)!.pos.line}): a layer may only read earlier layers, so this would make a cycle`,
          u.layer,
        );
      } else {
        // Every name but the layer's own: its short name stays when another layer has it too.
        const own = this.byName.has(u.layer.name) ? shortName(u.layer.name) : undefined;
        const close = search.close.filter((c) => c !== own || shortCounts.get(c)! > 1).slice(0, 3);
        this.bag.error(u.pos, `no layer named '${u.name}'${suggestion(close)}`, u.layer);
      }
    }
  }
}

function shortName(fullName: string): string {
  return fullName.split('.').pop()!;
}
