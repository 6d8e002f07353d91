import { defineTask } from "../framework.js";
import { NOUNS, fillerLines, functionScope, intLiteral } from "../python.js";

/**
 * `else` is followed by the colon; `elif` by a condition, here on the same variable as the `if` (the
 * natural continuation), so B's target is that variable's token and varies per pair.
 */
export const elseElif = defineTask({
  name: "else_elif",
  description: "after `else` comes `:`; after `elif` a condition (its first token)",
  draw({ rng, singleTokenWords }) {
    const names = singleTokenWords(NOUNS, " ", 1);
    const v = rng.pick(names);
    const scope = functionScope(rng, [v], new Set());
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 2), scope.params, new Set([v]));
    const inner = `${ind}    `;
    const conds = [
      [`${v} > ${intLiteral(rng)}`, `${v} < 0`],
      [`${v} is None`, `${v} == ${intLiteral(rng)}`],
      [`${v} == "${rng.pick(NOUNS)}"`, `${v} == "${rng.pick(NOUNS)}"`],
      [`isinstance(${v}, str)`, `${v} in ${rng.pick(["cache", "seen", "known", "self.items"])}`],
    ];
    const [cond, cond2] = rng.pick(conds);
    const stmt = () =>
      rng.pick([`return ${v}`, `${v} = None`, `print(${v})`, `count += 1`, `pass`, `raise ValueError(${v})`]);
    const head = `${body}${ind}if ${cond}:\n${inner}${stmt()}\n`;
    const last = stmt();
    return {
      a: `${head}${ind}else`,
      aCont: `:\n${inner}${last}\n`,
      aNext: [":\n", ":"],
      b: `${head}${ind}elif`,
      bCont: ` ${cond2}:\n${inner}${last}\n`,
      bNext: ` ${v}`,
    };
  },
});
