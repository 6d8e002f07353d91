import { defineTask } from "../framework.js";
import { NOUNS, VERBS, preamble } from "../python.js";

/**
 * After a parameter with a default, every later parameter needs one too (`=None`); without earlier
 * defaults the last parameter can close the signature (`):\n`). A and B differ only in that earlier default.
 */
export const finalKwarg = defineTask({
  name: "final_kwarg",
  description: "last parameter: `=None` when an earlier one has a default vs `):\\n` when none does",
  targets: [
    { a: "=None", b: "):\n" },
    { a: "=None", b: "):" },
  ],
  draw({ rng }) {
    const params = rng.sample(NOUNS, rng.int(3, 5));
    const last = params.length - 1;
    const withDefault = rng.int(0, last - 1);
    const def = rng.pick(["None", "0", "True", "False", '""', "()", String(rng.int(1, 100))]);
    const method = rng.chance(0.4);
    const ind = method ? "    " : "";
    const name = `${rng.pick(VERBS)}${rng.chance(0.6) ? `_${rng.pick(NOUNS)}` : ""}`;
    const head = `${preamble(rng)}${method ? "class Handler:\n" : ""}${ind}def ${name}(${method ? "self, " : ""}`;
    const sig = (withDefaults: boolean) =>
      params
        .slice(0, last)
        .map((p, i) => (withDefaults && i >= withDefault ? `${p}=${def}` : p))
        .join(", ");
    const bodyLine = `${ind}    return ${params[0]}\n`;
    return {
      a: `${head}${sig(true)}, ${params[last]}`,
      aCont: `=None):\n${bodyLine}`,
      b: `${head}${sig(false)}, ${params[last]}`,
      bCont: `):\n${bodyLine}`,
    };
  },
});
