import { defineTask } from "../framework.js";
import { NOUNS, fillerLines, freshName, functionScope } from "../python.js";

/** Names that read well both as a lambda's parameter and as a function's name. */
const NAMES = [
  "key",
  "item",
  "value",
  "node",
  "record",
  "event",
  "row",
  "entry",
  "name",
  "path",
  "handler",
  "callback",
  "func",
  "fn",
  "predicate",
  "transform",
  "getter",
  "check",
  "score",
  "cost",
  "weight",
  "rank",
  "order",
];

/**
 * After `lambda x` comes `:`; after `def x` comes `(`. The tokenizer often glues `(` to the first parameter
 * (`(self`, `(x`), so B's parameters are chosen so that `(` stays a token of its own; with a tokenizer
 * where that never happens, a method's `(self` is the fallback.
 */
export const lambdaFunc = defineTask({
  name: "lambda_func",
  description: "`x = lambda f` is followed by `:` vs `def f` by `(`",
  targets: [
    { a: ":", b: "(" },
    { a: ":", b: "(self" },
  ],
  draw({ rng, target, wordsKeepingApart }) {
    const f = rng.pick(NAMES);
    const v = freshName(rng, [...NOUNS, "sort_key", "key_func", "fn", "cb"], new Set([f]));
    const scope = functionScope(rng, [], new Set([f, v]));
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set([f, v]));
    const apart = wordsKeepingApart("(", NOUNS).filter((w) => w !== f);
    const param = target!.b === "(self" || apart.length === 0 ? "self" : rng.pick(apart);
    const attr = rng.pick(NOUNS);
    return {
      a: `${body}${ind}${v} = lambda ${f}`,
      aCont: `: ${f}.${attr}\n`,
      b: `${body}${ind}def ${f}`,
      bCont: `(${param}):\n${ind}    return ${param}.${attr}\n`,
    };
  },
});
