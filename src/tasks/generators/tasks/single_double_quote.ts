import { defineTask } from "../framework.js";
import {
  COLLECTIONS,
  ENV_NAMES,
  NOUNS,
  WORDS,
  fillerLines,
  freshName,
  functionScope,
  message,
} from "../python.js";

/**
 * Close a string with the quote it opened with. A opens with `("`, B with `('`; both texts are otherwise
 * identical. Targets `")`/`')` (paper A.7): the call is followed by a space (` or`, ` and`, ` %`, ...),
 * which is where the tokenizer emits `")` by itself; at a line end it would emit `")\n` instead, the
 * fallback target pair (used with a tokenizer that lacks `")`).
 */
export const singleDoubleQuote = defineTask({
  name: "single_double_quote",
  description: "close a string with the quote it opened with: `\")` vs `')`",
  targets: [
    { a: '")', b: "')" },
    { a: '")\n', b: "')\n" },
  ],
  draw({ rng, target }) {
    const lineEnd = target!.a.endsWith("\n");
    const subject = freshName(rng, NOUNS, new Set());
    const other = freshName(rng, COLLECTIONS, new Set([subject]));
    const scope = functionScope(rng, [subject, other], new Set());
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set());
    const v = freshName(rng, NOUNS, new Set([subject, other, ...scope.params]));
    const fallback = rng.pick(["None", "default", `${subject}.${rng.pick(WORDS)}`, "0", "[]"]);
    // [text before the quote, string content, text after the closing `")`]
    const templates: [string, string, string][] = lineEnd
      ? [
          [`${ind}print(`, message(rng), `\n${ind}return ${subject}\n`],
          [`${ind}logger.info(`, message(rng), `\n${ind}return ${subject}\n`],
          [`${ind}logger.warning(`, message(rng), `\n${ind}return ${subject}\n`],
          [`${ind}raise ValueError(`, message(rng), `\n`],
          [`${ind}${other}.append(`, rng.pick(WORDS), `\n${ind}return ${other}\n`],
          [`${ind}sys.stderr.write(`, message(rng), `\n${ind}return ${subject}\n`],
          [`${ind}${v} = ${subject}.get(`, rng.pick(WORDS), `\n${ind}return ${v}\n`],
          [`${ind}${v} = os.environ.get(`, rng.pick(ENV_NAMES), `\n${ind}return ${v}\n`],
        ]
      : [
          [`${ind}${v} = ${subject}.get(`, rng.pick(WORDS), ` or ${fallback}\n${ind}return ${v}\n`],
          [
            `${ind}if ${subject}.startswith(`,
            rng.pick(WORDS),
            ` and ${other}:\n${ind}    return ${subject}\n`,
          ],
          [`${ind}${v} = os.environ.get(`, rng.pick(ENV_NAMES), ` or ${fallback}\n${ind}return ${v}\n`],
          [`${ind}${v} = ${subject}.find(`, rng.pick(WORDS), ` >= 0\n${ind}return ${v}\n`],
          [`${ind}${v} = len(`, message(rng), ` + ${rng.int(1, 9)}\n${ind}return ${v}\n`],
          [`${ind}${v} = _(`, message(rng), ` % ${subject}\n${ind}return ${v}\n`],
        ];
    const [open, content, after] = rng.pick(templates);
    return {
      a: `${body}${open}"${content}`,
      aCont: `")${after}`,
      b: `${body}${open}'${content}`,
      bCont: `')${after}`,
    };
  },
});
