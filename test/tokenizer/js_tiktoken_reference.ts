import { Tiktoken } from "js-tiktoken/lite";
import { PRETOKEN_PATTERN } from "../../src/tokenizer/pretokenize.js";
import { ENDOFTEXT, type Tokenizer } from "../../src/tokenizer/tokenizer.js";

/**
 * An independent encoder for comparison: js-tiktoken built from the same ranks. Its `bpe_ranks` text is
 * tiktoken's compact form, one "! <first rank> <base64 token> ..." line per run of consecutive ranks.
 */
export function jsTiktokenOf(tokenizer: Tokenizer): Tiktoken {
  const lines: string[] = [];
  for (let id = 0; id < tokenizer.eotId; id++)
    lines.push(`! ${id} ${Buffer.from(tokenizer.tokenBytes(id)).toString("base64")}`);
  return new Tiktoken({
    pat_str: PRETOKEN_PATTERN,
    special_tokens: { [ENDOFTEXT]: tokenizer.eotId },
    bpe_ranks: lines.join("\n"),
  });
}
