import { defineTask } from "../framework.js";
import { COLLECTIONS, NOUNS, fillerLines, freshName, functionScope } from "../python.js";

/**
 * The indentation of the line after a `for` header (one level deeper) vs after a plain statement on the
 * same names (same level). An indentation token holds all but the last space, which the tokenizer joins
 * to the next word, so the targets are e.g. 7 vs 3 spaces, and they depend on the depth.
 */
export const indentFor = defineTask({
  name: "indent_for",
  description: "indentation after a `for` header (one level deeper) vs after a plain statement",
  draw({ rng }) {
    const coll = rng.pick(COLLECTIONS);
    const v = freshName(rng, NOUNS, new Set([coll]));
    const scope = functionScope(rng, [coll], new Set([v]));
    let ind = scope.ind;
    let body = scope.head + fillerLines(rng, ind, rng.int(0, 2), scope.params, new Set([v]));
    if (rng.chance(0.3)) {
      body += `${ind}if ${coll}:\n`;
      ind += "    ";
    }
    const stmt = rng.pick([
      `total += ${v}`,
      `print(${v})`,
      `${v}.close()`,
      `results.append(${v})`,
      `process(${v})`,
    ]);
    const deeper = `${ind}   `;
    const same = ind.slice(1);
    return {
      a: `${body}${ind}for ${v} in ${coll}:\n`,
      aCont: `${deeper} ${stmt}\n`,
      aNext: deeper,
      b: `${body}${ind}${v} = ${rng.chance(0.5) ? `${coll}[0]` : `next(iter(${coll}))`}\n`,
      bCont: `${same} ${stmt}\n`,
      bNext: same,
    };
  },
});
