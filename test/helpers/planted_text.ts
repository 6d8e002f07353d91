import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { PlantedTokens } from "../../src/prune/synthetic.js";
import { Tokenizer } from "../../src/tokenizer/index.js";
import { Rng } from "../../src/random/rng.js";

/** A byte-level tokenizer (no merges): every character is one token. */
export const BYTE_TOKENIZER = Tokenizer.fromMerges([]);

const id = (ch: string) => BYTE_TOKENIZER.encode(ch)[0];

/** The planted model's tokens as characters: markers A and B, query "?", answers X and Y. */
export const BYTE_PLANTED_TOKENS: PlantedTokens = {
  markerA: id("A"),
  markerB: id("B"),
  query: id("?"),
  answerX: id("X"),
  answerY: id("Y"),
};

/**
 * The planted task as a task file: `pairs` minimal pairs of filler text with the marker A or B
 * somewhere, then "?", answered X or Y (every 4th pair in the test split). Draws from `rng`.
 */
export function writeMarkerTask(path: string, pairs: number, rng = new Rng(8)): void {
  const fillers = "cdefghijklmnopqrstuvw";
  const lines: string[] = [];
  for (let i = 0; i < pairs; i++) {
    const len = 4 + rng.int(5);
    const text = Array.from({ length: len }, () => fillers[rng.int(fillers.length)]);
    const at = rng.int(len);
    const with_ = (m: string) => [...text.slice(0, at), m, ...text.slice(at + 1)].join("") + "?";
    lines.push(
      JSON.stringify({
        id: `p${i}`,
        split: i % 4 === 3 ? "test" : "train",
        a: with_("A"),
        b: with_("B"),
        a_next: "X",
        b_next: "Y",
      }),
    );
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.join("\n") + "\n");
}
