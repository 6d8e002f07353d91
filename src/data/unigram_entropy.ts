/**
 * Entropy of the token frequency distribution of a shard, in nats per token: the loss of the best model
 * that ignores context. A trained model must beat it, which makes it a cheap sanity bar for training tests.
 * Tokens are non-negative integer ids; an empty shard has entropy 0.
 */
export function unigramEntropy(tokens: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < tokens.length; i++) if (tokens[i] > max) max = tokens[i];
  const counts = new Float64Array(max + 1);
  for (let i = 0; i < tokens.length; i++) counts[tokens[i]]++;
  const n = tokens.length;
  let entropy = 0;
  for (const c of counts) if (c > 0) entropy -= (c / n) * Math.log(c / n);
  return entropy;
}
