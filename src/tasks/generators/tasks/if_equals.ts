import { defineTask } from "../framework.js";
import { NOUNS, fillerLines, freshName, functionScope, intLiteral } from "../python.js";

/** Inside an `if` condition the name is compared (` ==`); as a statement it is assigned (` =`). */
export const ifEquals = defineTask({
  name: "if_equals",
  description: "` ==` after `if x` vs ` =` after a statement starting with `x`",
  targets: [{ a: " ==", b: " =" }],
  draw({ rng }) {
    const v = freshName(rng, NOUNS, new Set());
    const scope = functionScope(rng, [v], new Set());
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set([v]));
    const value = rng.pick([
      intLiteral(rng),
      "None",
      "0",
      `"${rng.pick(NOUNS)}"`,
      "True",
      "[]",
      `${v}.strip()`,
    ]);
    const after = `${ind}return ${v}\n`;
    return {
      a: `${body}${ind}if ${v}`,
      aCont: ` == ${value}:\n${ind}    ${v} = None\n${after}`,
      b: `${body}${ind}${v}`,
      bCont: ` = ${value}\n${after}`,
    };
  },
});
