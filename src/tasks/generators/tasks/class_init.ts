import { defineTask } from "../framework.js";
import { CLASS_NAMES, NOUNS, preamble } from "../python.js";

/** In `__init__`, `self.x = ` is followed by the parameter of the same name. A and B assign different ones. */
export const classInit = defineTask({
  name: "class_init",
  description: "in `__init__`, complete `self.x =` with the parameter ` x`",
  draw({ rng, singleTokenWords }) {
    const names = singleTokenWords(NOUNS, " ", 5);
    const params = rng.sample(names, rng.int(2, 5));
    const done = rng.int(0, params.length - 2);
    const [p, q] = rng.sample(params.slice(done), 2);
    const defaults = rng.chance(0.4);
    const sig = params
      .map((n, i) =>
        defaults && i === params.length - 1 ? `${n}=${rng.pick(["None", "0", "False", "()"])}` : n,
      )
      .join(", ");
    const doc = rng.chance(0.3) ? `        """Create a ${rng.pick(NOUNS)}."""\n` : "";
    let text = `${preamble(rng)}class ${rng.pick(CLASS_NAMES)}:\n    def __init__(self, ${sig}):\n${doc}`;
    if (rng.chance(0.3)) text += "        super().__init__()\n";
    for (const n of params.slice(0, done)) text += `        self.${n} = ${n}\n`;
    const after = `\n        self.${rng.pick(NOUNS)}_count = 0\n`;
    return {
      a: `${text}        self.${p} =`,
      aCont: ` ${p}${after}`,
      aNext: ` ${p}`,
      b: `${text}        self.${q} =`,
      bCont: ` ${q}${after}`,
      bNext: ` ${q}`,
    };
  },
});
