import { CspError } from "../errors.js";
import { loadPreparedShards, prepareCorpus, type PrepareProgress } from "../data/prepare_corpus.js";
import { resolveCorpus } from "../data/default_corpus.js";
import { readShard } from "../data/shard.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";

/** Token ids to take means over, and a description of where they came from. */
export interface MeansTokens {
  stream: ArrayLike<number>;
  source: string;
}

/**
 * The pretraining text for means: a token shard (raw little-endian uint16, e.g. a prepared corpus's
 * val.bin), or a corpus (default: the Python standard library, the data module's default corpus)
 * tokenised through the shared corpus cache. From a corpus, the held-out (validation) side is used when
 * it holds at least `need` tokens, else the training side.
 */
export function meansTokens(opts: {
  shard?: string;
  corpus?: string[];
  tokenizer: () => Tokenizer;
  vocab: number;
  need: number;
  onPrepare?: (p: PrepareProgress) => void;
}): MeansTokens {
  if (opts.shard) {
    const stream = readShard(opts.shard, opts.vocab);
    return { stream, source: `shard ${opts.shard}` };
  }
  // The default corpus is hundreds of paths: name it by its description, as csp train does.
  const { paths: corpus, description: corpusName } = resolveCorpus(opts.corpus);
  const tokenizer = opts.tokenizer();
  if (tokenizer.vocabSize > opts.vocab)
    throw new CspError(
      `tokenizer: ${tokenizer.vocabSize} ids do not fit the model's vocabulary of ${opts.vocab}`,
    );
  const prepared = prepareCorpus({ corpus, tokenizer, onProgress: opts.onPrepare });
  const { train, val } = loadPreparedShards(prepared);
  const useVal = val.length >= opts.need;
  return {
    stream: useVal ? val : train,
    source: `corpus ${corpusName} (${useVal ? "validation" : "training"} side, ${prepared.dir})`,
  };
}
