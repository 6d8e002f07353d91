import { defineTask } from "../framework.js";
import { COLLECTIONS, NOUNS, fillerLines, freshName, functionScope } from "../python.js";

const INDEX_NAMES = ["i", "j", "k", "n", "idx", "index", "pos", "lineno", "num", "row", "col", "offset"];

/** Two loop variables call for `enumerate`, one for `range`. */
export const enumerateRange = defineTask({
  name: "enumerate_range",
  description: "`for i, x in` is followed by ` enumerate` vs `for i in` by ` range`",
  targets: [
    { a: " enumerate", b: " range" },
    { a: " enum", b: " range" },
  ],
  draw({ rng }) {
    const coll = rng.pick(COLLECTIONS);
    const i = rng.pick(INDEX_NAMES);
    const x = freshName(rng, NOUNS, new Set([coll, i]));
    const scope = functionScope(rng, [coll], new Set([i, x]));
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set([i, x]));
    const inner = `${ind}    `;
    const start = rng.chance(0.2) ? ", 1" : "";
    return {
      a: `${body}${ind}for ${i}, ${x} in`,
      aCont: ` enumerate(${coll}${start}):\n${inner}print(${i}, ${x})\n`,
      b: `${body}${ind}for ${i} in`,
      bCont: ` range(${rng.chance(0.5) ? `len(${coll})` : rng.int(1, 100)}):\n${inner}print(${i}, ${coll}[${i}])\n`,
    };
  },
});
