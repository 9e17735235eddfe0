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

/**
 * Who chose a name: the file (`written`), or the front end, as an unnamed layer's index in its
 * scope (`index`) or a join's kind (`join`: `add`, `concat_1`). Generated names never collide with
 * written ones: joins skip taken names; an index is a position and cannot, so a written name equal
 * to one is an error.
 */
export type NameOrigin = 'written' | 'index' | 'join';

export function joinName(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

export class Names {
  /** Full name to node id (or POISONED), for `inputs` lookups and duplicate detection. */
  private readonly byName = new Map<string, { id: number; pos: SourcePos; origin: NameOrigin; kind: string }>();
  private readonly groups: ScopeInfo[] = [];
  /** `inputs` that named nothing defined before them; checked at the end to tell a cycle from a typo. */
  private readonly unresolved: { name: string; pos: SourcePos; layer: Who }[] = [];
  /** For `fresh`: per scope and base name, the suffix it last returned; every smaller one is taken for good. */
  private readonly lastFresh = new Map<string, number>();

  constructor(
    private readonly bag: DiagnosticBag,
    /** The graph's nodes so far, to name the kind of a duplicate. */
    private readonly nodes: readonly LayerNode[],
  ) {}

  /**
   * `base` if free in `scope`, else `base_1`, `base_2`, ...: the first one free. Names are never
   * freed, so the search resumes where the last one for this scope and base ended (O(1) amortised).
   */
  fresh(scope: NameScope, base: string): string {
    const key = `${scope.prefix}\u0000${base}`;
    for (let k = this.lastFresh.get(key) ?? 0; ; k++) {
      const local = k === 0 ? base : `${base}_${k}`;
      if (!this.byName.has(joinName(scope.prefix, local))) {
        this.lastFresh.set(key, k);
        return local;
      }
    }
  }

  /**
   * Gives `id` the name `fullName`; a duplicate is reported and poisons it. `kind` names what made
   * the name in messages (a block, `sequential`), the layer's kind by default.
   */
  register(fullName: string, id: number, pos: SourcePos, origin: NameOrigin = 'written', kind?: string): number {
    const what = kind ?? (id >= 0 ? this.nodes[id].kind : 'layer');
    const seen = this.byName.get(fullName);
    if (seen) {
      if (origin === 'written' && seen.origin !== 'written') {
        this.bag.error(pos, takenByGenerated(fullName, seen), { name: fullName, kind: what });
      } else if (seen.origin === 'written' && origin !== 'written') {
        // The written name came first: the error is its own, where it is written.
        this.bag.error(seen.pos, takenByGenerated(fullName, { origin, pos }), { name: fullName, kind: seen.kind });
      } else {
        this.bag.error(pos, `duplicate name '${fullName}' (first used at line ${seen.pos.line})`, { name: fullName, kind: what });
      }
      return POISONED;
    }
    this.byName.set(fullName, { id, pos, origin, kind: what });
    return id;
  }

  /** Whether `fullName` names something already: a scope checks its own name before naming its layers under it. */
  isTaken(fullName: string): boolean {
    return this.byName.has(fullName);
  }

  /** A named group of layers (block instance, sequential, repeat group), for folding reports by depth. */
  registerScope(fullName: string, kind: string, output: number, pos: SourcePos, origin: NameOrigin = 'written'): number {
    const id = this.register(fullName, output, pos, origin, kind);
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
    // A node keeps this list: at its length, not the 17 slots V8 gives a list pushed to from empty.
    return ids.slice();
  }

  /**
   * Reports each unresolved input: a name defined later (a cycle) or no such name (with close
   * names). Copies of one entry (a repeat) are worked out once and reported as copies; the names
   * are indexed once, so this is linear in the names and the entries.
   */
  reportUnresolved(): void {
    if (this.unresolved.length === 0) return;
    // The first full name equal to each name or ending in `.name`, as a scan in definition order would find it.
    const bySuffix = new Map<string, string>();
    for (const full of this.byName.keys()) {
      for (let at = 0; ;) {
        const suffix = full.slice(at);
        if (!bySuffix.has(suffix)) bySuffix.set(suffix, full);
        const dot = full.indexOf('.', at);
        if (dot < 0) break;
        at = dot + 1;
      }
    }
    const lastSegments = new Map<string, number>();
    for (const full of this.byName.keys()) {
      const last = full.slice(full.lastIndexOf('.') + 1);
      lastSegments.set(last, (lastSegments.get(last) ?? 0) + 1);
    }
    const messages = new Map<string, string>();
    for (const u of this.unresolved) {
      const key = `${u.pos.line}:${u.pos.col}:${u.name}`;
      let message = messages.get(key);
      if (message === undefined) {
        message = this.unresolvedMessage(u, bySuffix, lastSegments, messages.size < MAX_SUGGESTED);
        messages.set(key, message);
      }
      this.bag.error(u.pos, message, u.layer);
    }
  }

  private unresolvedMessage(
    u: { name: string; layer: Who },
    bySuffix: ReadonlyMap<string, string>,
    lastSegments: ReadonlyMap<string, number>,
    suggest: boolean,
  ): string {
    const later = bySuffix.get(u.name);
    if (later !== undefined) {
      return `input '${u.name}' is defined after this layer (line ${this.byName.get(later)!.pos.line}): a layer may only read earlier layers, so this would make a cycle`;
    }
    if (!suggest) return `no layer named '${u.name}'`;
    // Every layer's last name segment but the reader's own.
    const own = u.layer.name.slice(u.layer.name.lastIndexOf('.') + 1);
    const ownIsLayer = this.byName.has(u.layer.name);
    const others = [...lastSegments].filter(([k, n]) => !(ownIsLayer && k === own && n === 1)).map(([k]) => k);
    return `no layer named '${u.name}'${didYouMean(u.name, others)}`;
  }
}

/** Unresolved names that get "did you mean" suggestions (each compares against every name); the rest get none. */
const MAX_SUGGESTED = 100;

/** Why a written name may not be `fullName`: the front end generates it for another layer. */
function takenByGenerated(fullName: string, generated: { origin: NameOrigin; pos: SourcePos }): string {
  const local = fullName.slice(fullName.lastIndexOf('.') + 1);
  const what =
    generated.origin === 'index'
      ? `the index cnnscope gives the unnamed entry at line ${generated.pos.line} (unnamed entries are numbered by their place, as nn.Sequential numbers its modules)`
      : `the name cnnscope gives the join at line ${generated.pos.line}`;
  return `the name '${local}' is ${what}; a written name may not be a generated one: choose another, or name that entry`;
}
