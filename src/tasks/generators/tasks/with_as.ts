import { defineTask } from "../framework.js";
import { NOUNS, fillerLines, freshName, functionScope } from "../python.js";

/**
 * `with open(p` goes on after its `)` (with ` as f:`); `f = open(p` ends the line there. The paper predicts
 * ` as`; a tokenizer that has `)\n` (as the stdlib one does) never produces a lone `)` at the end of an
 * assignment, so the pair is compared at the closing parenthesis: `)` vs `)\n`.
 */
export const withAs = defineTask({
  name: "with_as",
  description: "`with open(p` continues after `)` (` as f`) vs `f = open(p` ends the line with `)\\n`",
  targets: [{ a: ")", b: ")\n" }],
  draw({ rng }) {
    const path = rng.pick([
      "path",
      "filename",
      "fname",
      "config_path",
      "input_path",
      "log_file",
      "src",
      "file_name",
    ]);
    const f = rng.pick(["f", "fh", "fp", "handle", "stream", "infile"]);
    const scope = functionScope(rng, [path], new Set([f]));
    const ind = scope.ind;
    const body = scope.head + fillerLines(rng, ind, rng.int(0, 3), scope.params, new Set([f]));
    const data = freshName(rng, NOUNS, new Set([f, path]));
    return {
      a: `${body}${ind}with open(${path}`,
      aCont: `) as ${f}:\n${ind}    ${data} = ${f}.read()\n`,
      b: `${body}${ind}${f} = open(${path}`,
      bCont: `)\n${ind}${data} = ${f}.read()\n`,
    };
  },
});
