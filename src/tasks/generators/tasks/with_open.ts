import { defineTask } from "../framework.js";
import { NOUNS, VERBS, fillerLines, preamble } from "../python.js";

/** (read-side name, write-side name) pairs: the name says which way the file goes. */
const PATH_PAIRS: readonly [string, string][] = [
  ["input_path", "output_path"],
  ["src_path", "dst_path"],
  ["source_path", "dest_path"],
  ["in_file", "out_file"],
  ["infile", "outfile"],
  ["input_file", "output_file"],
  ["read_path", "write_path"],
  ["in_path", "out_path"],
  ["source_file", "target_file"],
  ["src", "dst"],
  ["template_path", "report_path"],
  ["config_path", "output_path"],
  ["data_path", "save_path"],
  ["input_name", "output_name"],
];

/**
 * The mode of `open()` follows from the file's name: both names are parameters, A opens the input one
 * (`r`), B the output one (`w`). The mode letter is its own token after the opening quote.
 */
export const withOpen = defineTask({
  name: "with_open",
  description: "the mode in `open(path, '`: `r` for an input path vs `w` for an output path",
  targets: [{ a: "r", b: "w" }],
  draw({ rng }) {
    const [src, dst] = rng.pick(PATH_PAIRS);
    const params = rng.chance(0.5) ? [src, dst] : [dst, src];
    const name = `${rng.pick(VERBS)}_${rng.pick(NOUNS)}`;
    const head = `${preamble(rng)}def ${name}(${params.join(", ")}):\n`;
    const ind = "    ";
    const body = head + fillerLines(rng, ind, rng.int(0, 2), params, new Set([src, dst]));
    const q = rng.pick(["'", '"']);
    const kw = rng.chance(0.2) ? "mode=" : "";
    const f = rng.pick(["f", "fh", "fp", "handle", "stream"]);
    const open = (path: string) => `${body}${ind}with open(${path}, ${kw}${q}`;
    const cont = (mode: string, use: string) => `${mode}${q}) as ${f}:\n${ind}    ${use}\n`;
    return {
      a: open(src),
      aCont: cont("r", `data = ${f}.read()`),
      b: open(dst),
      bCont: cont("w", `${f}.write(data)`),
    };
  },
});
