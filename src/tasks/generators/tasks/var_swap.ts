import { defineTask } from "../framework.js";
import { fillerLines, functionScope, intLiteral } from "../python.js";

/** Pairs of names that are swapped in real code; each name must be one token after a space. */
const SWAP_PAIRS: readonly [string, string][] = [
  ["a", "b"],
  ["x", "y"],
  ["lo", "hi"],
  ["low", "high"],
  ["left", "right"],
  ["first", "second"],
  ["old", "new"],
  ["prev", "curr"],
  ["src", "dst"],
  ["i", "j"],
  ["start", "end"],
  ["head", "tail"],
  ["top", "bottom"],
  ["u", "v"],
  ["m", "n"],
  ["p", "q"],
  ["min", "max"],
  ["key", "value"],
  ["row", "col"],
  ["parent", "child"],
  ["source", "target"],
  ["before", "after"],
  ["width", "height"],
  ["s", "t"],
];

/** In `x, y = y, x` the last name repeats the first: A swaps `x, y`, B swaps `y, x`. */
export const varSwap = defineTask({
  name: "var_swap",
  description: "complete a swap: ` x` in `x, y = y, x` (A and B swap the names)",
  draw({ rng, singleTokenWords }) {
    const usable = SWAP_PAIRS.filter(([p, q]) => singleTokenWords([p, q], " ").length === 2);
    const [p, q] = usable.length > 0 ? rng.pick(usable) : rng.pick(SWAP_PAIRS);
    const [x, y] = rng.chance(0.5) ? [p, q] : [q, p];
    const scope = functionScope(rng, [x, y], new Set());
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 2), scope.params, new Set([x, y]));
    const inner = `${ind}    `;
    const guard = rng.pick([
      `${ind}if ${x} > ${y}:\n`,
      `${ind}if ${y} < ${x}:\n`,
      `${ind}if reverse:\n`,
      `${ind}if ${x} is None:\n`,
      `${ind}while ${y} > ${intLiteral(rng)}:\n`,
      "",
    ]);
    const at = guard === "" ? ind : inner;
    const swap = (m: string, n: string) => `${body}${guard}${at}${m}, ${n} = ${n},`;
    const after = `${ind}return ${x}, ${y}\n`;
    return {
      a: swap(x, y),
      aCont: ` ${x}\n${after}`,
      aNext: ` ${x}`,
      b: swap(y, x),
      bCont: ` ${y}\n${after}`,
      bNext: ` ${y}`,
    };
  },
});
