import { defineTask } from "../framework.js";
import { NOUNS, fillerLines, freshName, functionScope } from "../python.js";

/**
 * `while True` opens a block (`:` then a deeper line); `return True` ends the line, and the next line
 * dedents. The paper states the task as indentation; the first token that differs is `:\n` vs `\n`.
 */
export const whileReturnTrue = defineTask({
  name: "while_return_true",
  description: "`while True` is followed by `:` (a block) vs `return True` by a newline",
  targets: [
    { a: ":\n", b: "\n" },
    { a: ":", b: "\n" },
  ],
  draw({ rng }) {
    const v = freshName(rng, NOUNS, new Set());
    const scope = functionScope(rng, [v], new Set());
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 2), scope.params, new Set([v]));
    const inner = `${ind}    `;
    const cond = rng.pick([`${v} is None`, `not ${v}`, v, `${v}.ready()`, `${v} in cache`]);
    const head = `${body}${ind}if ${cond}:\n`;
    const fallback = `${ind}return ${rng.pick(["False", "None", v])}\n`;
    return {
      a: `${head}${inner}while True`,
      aCont: `:\n${inner}    ${rng.pick([`${v} = ${v}.next()`, "time.sleep(1)", `if ${v}.poll():\n${inner}        break`])}\n${fallback}`,
      b: `${head}${inner}return True`,
      bCont: `\n${fallback}`,
    };
  },
});
