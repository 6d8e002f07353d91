import { defineTask } from "../framework.js";
import { NOUNS, fillerLines, freshName, functionScope, intLiteral, WORDS } from "../python.js";

/**
 * After a string's closing quote, `:` in a dict vs `,` in a list. A opens `{"key`, B opens `["key`; the
 * quote and the punctuation form one token (`":` / `",`).
 */
export const bracketBrace = defineTask({
  name: "bracket_brace",
  description: 'dict or list literal: `":` after `{"key` vs `",` after `["key`',
  targets: [{ a: '":', b: '",' }],
  draw({ rng }) {
    const name = freshName(
      rng,
      [
        "config",
        "options",
        "settings",
        "fields",
        "mapping",
        "headers",
        "keys",
        "names",
        "params",
        "defaults",
        "columns",
      ],
      new Set(),
    );
    const scope = functionScope(rng, [], new Set([name]));
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set([name]));
    const key = rng.pick(NOUNS);
    const key2 = freshName(rng, NOUNS, new Set([key]));
    const multiline = rng.chance(0.4);
    const open = multiline ? `\n${ind}    ` : "";
    const sep = multiline ? `,\n${ind}    ` : ", ";
    const close = multiline ? `,\n${ind}` : "";
    const value = rng.pick([intLiteral(rng), `"${rng.pick(WORDS)}"`, "None", "True", "False", "[]"]);
    return {
      a: `${body}${ind}${name} = {${open}"${key}`,
      aCont: `": ${value}${sep}"${key2}": ${value}${close}}\n${ind}return ${name}\n`,
      b: `${body}${ind}${name} = [${open}"${key}`,
      bCont: `"${sep}"${key2}"${close}]\n${ind}return ${name}\n`,
    };
  },
});
