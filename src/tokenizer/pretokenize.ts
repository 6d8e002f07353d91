/**
 * The tinypython_2k pre-tokenisation pattern exactly as the reference publishes it (tiktoken `pat_str`).
 * Note the `[\r\n/]*` after punctuation runs: it is why `]]\n`, `]\n`, `")` and `('` can be single tokens.
 */
export const REFERENCE_PATTERN =
  "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/**
 * The same pattern for JavaScript's `u` regexes. The reference runs it in Rust's regex engine, whose `\s`
 * is Unicode White_Space; JavaScript's `\s` differs on two code points (it lacks U+0085 and adds U+FEFF),
 * so `\s`/`\S` are spelled as the property classes to split exactly where the reference splits.
 */
export const PRETOKEN_PATTERN = REFERENCE_PATTERN.replaceAll("\\s", "\\p{White_Space}").replaceAll(
  "\\S",
  "\\P{White_Space}",
);

/** A fresh global regex for the pattern (each caller gets its own `lastIndex`). */
export function pretokenRegex(): RegExp {
  return new RegExp(PRETOKEN_PATTERN, "gu");
}

/** Calls `visit` with each pre-token chunk of `text`, in order; the chunks concatenate to `text`. */
export function forEachPretoken(text: string, visit: (chunk: string) => void): void {
  const regex = pretokenRegex();
  let match: RegExpExecArray | null;
  while ((match = regex.exec(text)) !== null) visit(match[0]);
}

/** The pre-token chunks of `text`, in order. */
export function pretokenize(text: string): string[] {
  const chunks: string[] = [];
  forEachPretoken(text, (chunk) => chunks.push(chunk));
  return chunks;
}
