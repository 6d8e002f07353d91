import { CspError } from "../errors.js";

/** Token ids as a caller holds them: one sequence (what `tokenizer.encode` returns) or a batch of them. */
export type TokenInput = ArrayLike<number> | readonly ArrayLike<number>[];

/** Token ids laid out for the forward: [B, T] row-major. */
export interface TokenBatch {
  ids: Int32Array;
  b: number;
  t: number;
}

/** True for a batch (an array whose items are sequences), false for one sequence of numbers. */
function isBatch(tokens: TokenInput): tokens is readonly ArrayLike<number>[] {
  return tokens.length > 0 && typeof tokens[0] !== "number";
}

/**
 * One sequence becomes a batch of one; a batch must be rectangular (the forward has no padding). `what`
 * names the input in errors ("tokens", "targets"). Ids are not checked against the vocabulary here:
 * the forward does that, and the context length (targets may hold -1).
 */
export function tokenBatch(tokens: TokenInput, what = "tokens"): TokenBatch {
  const rows = isBatch(tokens) ? tokens : [tokens as ArrayLike<number>];
  const t = rows[0]?.length ?? 0;
  if (rows.length === 0 || t === 0) throw new CspError(`${what}: empty (expected at least one token)`);
  const ids = new Int32Array(rows.length * t);
  rows.forEach((row, r) => {
    if (row.length !== t)
      throw new CspError(
        `${what}: sequence ${r} has ${row.length} tokens, sequence 0 has ${t} (a batch must be rectangular)`,
      );
    for (let i = 0; i < t; i++) {
      if (!Number.isInteger(row[i]))
        throw new CspError(`${what}: [${r}, ${i}] = ${row[i]} is not an integer token id`);
      ids[r * t + i] = row[i];
    }
  });
  return { ids, b: rows.length, t };
}
