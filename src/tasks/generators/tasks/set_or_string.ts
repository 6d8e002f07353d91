import { defineTask, type TaskGenerator } from "../framework.js";
import type { TaskRng } from "../../../random/task_rng.js";
import { COLLECTIONS, NOUNS, fillerLines, freshName, functionScope } from "../python.js";

/** Names that suit a set or a string equally. */
const ACCUMULATORS = [
  "current",
  "result",
  "out",
  "acc",
  "seen",
  "found",
  "output",
  "collected",
  "names",
  "keys",
  "labels",
  "tags",
  "buf",
  "parts",
  "pending",
  "done",
  "visited",
  "chosen",
  "matched",
  "extra",
];

function draw(rng: TaskRng, fixedName: string | undefined) {
  const coll = rng.pick(COLLECTIONS);
  const it = freshName(rng, NOUNS, new Set([coll]));
  const name = fixedName ?? freshName(rng, ACCUMULATORS, new Set([coll, it]));
  const reserved = new Set([coll, it, name]);
  const scope = functionScope(rng, [coll], reserved);
  const ind = scope.ind;
  // A distractor of either type, identical in A and B, so the answer depends on the right variable.
  let distractor = "";
  if (rng.chance(0.5)) {
    const d = freshName(rng, ACCUMULATORS, reserved);
    reserved.add(d);
    distractor = `${ind}${d} = ${rng.pick(["set()", '""', "''"])}\n`;
  }
  const declFirst = rng.chance(0.5);
  const before = fillerLines(rng, ind, rng.int(0, 2), scope.params, reserved);
  const inner = `${ind}    `;
  const loopHead = rng.pick([
    `${ind}for ${it} in ${coll}:\n`,
    `${ind}for ${it} in sorted(${coll}):\n`,
    `${ind}while ${coll}:\n${inner}${it} = ${coll}.pop()\n`,
  ]);
  let loopBody = fillerLines(rng, inner, rng.int(0, 2), [...scope.params, it], reserved);
  let ind2 = inner;
  if (rng.chance(0.4)) {
    loopBody += `${inner}if ${rng.pick([it, `not ${it}`, `${it} not in ${name}`, `${it} is not None`])}:\n`;
    ind2 = `${inner}    `;
  }
  const expr = rng.pick([it, `str(${it})`, `${it}.name`, `${it}[0]`]);
  const emptyString = rng.pick(['""', "''"]);
  const prefix = (init: string) => {
    const decl = `${ind}${name} = ${init}\n`;
    return (
      scope.head +
      (declFirst ? decl + distractor : distractor + decl) +
      before +
      loopHead +
      loopBody +
      `${ind2}${name}`
    );
  };
  return {
    a: prefix("set()"),
    aCont: `.add(${expr})\n${ind}return ${name}\n`,
    b: prefix(emptyString),
    bCont: ` += ${expr}\n${ind}return ${name}\n`,
  };
}

const TARGETS = [{ a: ".add", b: " +=" }];

/** Grow a set with `.add` or a string with `+=`, depending on how the variable was initialised. */
export const setOrString: TaskGenerator = defineTask({
  name: "set_or_string",
  description: "a variable initialised as `set()` or a string: continue with `.add` vs ` +=`",
  targets: TARGETS,
  draw: ({ rng }) => draw(rng, undefined),
});

/** As set_or_string, with the variable always named `current` (the paper's variant). */
export const setOrStringFixedVarname: TaskGenerator = defineTask({
  name: "set_or_string_fixedvarname",
  description: "as set_or_string, with the variable always named `current`",
  targets: TARGETS,
  draw: ({ rng }) => draw(rng, "current"),
});
