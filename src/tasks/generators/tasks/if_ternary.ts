import { defineTask } from "../framework.js";
import { NOUNS, fillerLines, freshName, functionScope, intLiteral } from "../python.js";

/** An `if` statement's condition ends with `:`; a conditional expression's with ` else`. */
export const ifTernary = defineTask({
  name: "if_ternary",
  description: "after an `if` condition: `:` for a statement vs ` else` inside a conditional expression",
  targets: [
    { a: ":\n", b: " else" },
    { a: ":", b: " else" },
  ],
  draw({ rng }) {
    const u = freshName(rng, NOUNS, new Set());
    const v = freshName(rng, NOUNS, new Set([u]));
    const scope = functionScope(rng, [u], new Set([v]));
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set([u, v]));
    // Conditions end in a name or a number so the colon is a token of its own.
    const cond = rng.pick([
      `${u} > ${intLiteral(rng)}`,
      `${u} is None`,
      `not ${u}`,
      u,
      `${u} is not None`,
      `${u} in seen`,
      `len(${u}) > ${rng.int(0, 9)}`,
    ]);
    const value = rng.pick([intLiteral(rng), u, `${u}.copy()`, `"${rng.pick(NOUNS)}"`, "None", "[]"]);
    const others = ["None", "0", `"${rng.pick(NOUNS)}"`, "[]", "default"].filter((o) => o !== value);
    const other = rng.pick(others);
    return {
      a: `${body}${ind}if ${cond}`,
      aCont: `:\n${ind}    ${v} = ${value}\n`,
      b: `${body}${ind}${v} = ${value} if ${cond}`,
      bCont: ` else ${other}\n`,
    };
  },
});
