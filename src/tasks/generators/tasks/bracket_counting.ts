import { defineTask } from "../framework.js";
import type { TaskRng } from "../../../random/task_rng.js";
import { NOUNS, fillerLines, freshName, functionScope, intLiteral } from "../python.js";

function element(rng: TaskRng, kind: number): string {
  if (kind === 0) return intLiteral(rng);
  if (kind === 1) return `${rng.chance(0.3) ? "-" : ""}${rng.int(0, 99)}.${rng.int(0, 99)}`;
  return rng.pick(["x", "y", "z", "a", "b", "c", "n", "m", "dx", "dy", "w", "h", "lo", "hi"]);
}

/**
 * Close a list literal at the right depth: A opens `[[` and must close two brackets, B opens `[` and closes
 * one; the elements are the same. Targets `]]\n`/`]\n` (the reference's); with a tokenizer that lacks `]]\n`
 * (the stdlib one splits it `]` `]\n`), A's next token is the first `]`.
 */
export const bracketCounting = defineTask({
  name: "bracket_counting",
  description: "close a nested list: `]]\\n` after `[[...` vs `]\\n` after `[...`",
  targets: [
    { a: "]]\n", b: "]\n" },
    { a: "]]", b: "]\n" },
    { a: "]", b: "]\n" },
  ],
  draw({ rng }) {
    const name = freshName(
      rng,
      [...NOUNS, "values", "matrix", "grid", "rows", "table", "weights", "data"],
      new Set(),
    );
    const scope = functionScope(rng, [], new Set([name]));
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set([name]));
    const kind = rng.int(0, 2);
    const count = rng.int(1, 9);
    const elements: string[] = [];
    for (let i = 0; i < count; i++) elements.push(element(rng, kind));
    const list = elements.join(", ");
    const after = `${ind}return ${name}\n`;
    return {
      a: `${body}${ind}${name} = [[${list}`,
      aCont: `]]\n${after}`,
      b: `${body}${ind}${name} = [${list}`,
      bCont: `]\n${after}`,
    };
  },
});
