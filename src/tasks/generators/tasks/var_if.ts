import { defineTask } from "../framework.js";
import { NOUNS, fillerLines, freshName, functionScope } from "../python.js";

const FLAGS = [
  "done",
  "found",
  "ok",
  "changed",
  "enabled",
  "verbose",
  "debug",
  "ready",
  "valid",
  "dirty",
  "active",
  "stop",
];

/** `if x == True` ends with `:`; `x = True` ends the line. */
export const varIf = defineTask({
  name: "var_if",
  description: "`if x == True` is followed by `:` vs `x = True` by a newline",
  targets: [
    { a: ":\n", b: "\n" },
    { a: ":", b: "\n" },
  ],
  draw({ rng }) {
    const v = rng.pick(FLAGS);
    const scope = functionScope(rng, rng.chance(0.5) ? [v] : [], new Set([v]));
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set([v]));
    const value = rng.pick(["True", "False"]);
    const next = `${ind}${rng.pick([`return ${v}`, `${freshName(rng, NOUNS, new Set([v]))} = None`, `print(${v})`])}\n`;
    return {
      a: `${body}${ind}if ${v} == ${value}`,
      aCont: `:\n${ind}    ${v} = ${value === "True" ? "False" : "True"}\n${next}`,
      b: `${body}${ind}${v} = ${value}`,
      bCont: `\n${next}`,
    };
  },
});
