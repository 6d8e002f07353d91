import { CspError } from "../errors.js";
import { hookNames } from "./hooks.js";

/**
 * Which hook points to record: exact names, a regular expression (tested against each name, as
 * `RegExp.test` does: anchor it yourself), or a predicate on the name.
 */
export type HookFilter = readonly string[] | RegExp | ((name: string) => boolean);

/**
 * The filter as the forward's `record` pattern (an exact alternation of the selected names). Names that
 * are not hook points of a model with `nLayer` layers are refused: a typo would otherwise record nothing.
 */
export function hookPattern(filter: HookFilter, nLayer: number): RegExp {
  const all = hookNames(nLayer);
  let selected: string[];
  if (filter instanceof RegExp) {
    // A global or sticky RegExp's test() moves lastIndex between calls; a copy without those flags does not.
    const re = new RegExp(filter.source, filter.flags.replace(/[gy]/g, ""));
    selected = all.filter((name) => re.test(name));
  } else if (typeof filter === "function") {
    selected = all.filter((name) => filter(name));
  } else {
    const known = new Set(all);
    for (const name of filter)
      if (!known.has(name))
        throw new CspError(`"${name}" is not a hook point of this model (e.g. "0.attn.q", "final_resid")`);
    selected = [...filter];
  }
  return exactNames(selected);
}

/** A RegExp matching exactly these names (and nothing when the list is empty). */
function exactNames(names: readonly string[]): RegExp {
  if (names.length === 0) return /(?!)/;
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^(?:${escaped.join("|")})$`);
}
