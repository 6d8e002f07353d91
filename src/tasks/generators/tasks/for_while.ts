import { defineTask } from "../framework.js";
import { COLLECTIONS, fillerLines, freshName, functionScope } from "../python.js";

/** Loop variables that read naturally after both `for` and `while`. */
const LOOP_NAMES = [
  "node",
  "line",
  "item",
  "chunk",
  "current",
  "task",
  "entry",
  "token",
  "job",
  "frame",
  "child",
  "match",
  "data",
  "block",
  "batch",
  "event",
  "msg",
  "record",
  "result",
  "pending",
  "remaining",
  "running",
  "cursor",
];

/** After `for x` comes ` in`; after `while x` comes the colon (`:\n`, as the line ends there). */
export const forWhile = defineTask({
  name: "for_while",
  description: "loop header: ` in` after `for x` vs `:` after `while x`",
  targets: [
    { a: " in", b: ":\n" },
    { a: " in", b: ":" },
  ],
  draw({ rng }) {
    const v = rng.pick(LOOP_NAMES);
    const coll = freshName(rng, COLLECTIONS, new Set([v]));
    const scope = functionScope(rng, [coll], new Set([v]));
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set([v]));
    const inner = `${ind}    `;
    const work = rng.pick([`process(${v})`, `print(${v})`, `${v} = ${v}.next`, `yield ${v}`, `break`]);
    return {
      a: `${body}${ind}for ${v}`,
      aCont: ` in ${coll}:\n${inner}${work}\n`,
      b: `${body}${ind}while ${v}`,
      bCont: `:\n${inner}${work}\n`,
    };
  },
});
