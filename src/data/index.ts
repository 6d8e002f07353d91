/** The Python corpus pipeline: files → train/val split → cached uint16 shards → batches. */
export { findPythonStdlib } from "./python_stdlib.js";
export { collectPythonFiles, type CorpusFile } from "./corpus_files.js";
export { readCorpusDocuments, type CorpusDocument, type CorpusDocuments } from "./corpus_documents.js";
export { readDocument, type DocumentText, type SkipReason } from "./read_document.js";
export { splitTrainVal, DEFAULT_VAL_FRACTION, type TrainValSplit } from "./split.js";
export { readShard, writeShard, shardBytes } from "./shard.js";
export {
  prepareCorpus,
  loadPreparedShards,
  DEFAULT_CACHE_DIR,
  TRAIN_SHARD,
  VAL_SHARD,
  MANIFEST_FILE,
  type CorpusManifest,
  type PrepareCorpusOptions,
  type PrepareProgress,
  type PreparedCorpus,
} from "./prepare_corpus.js";
export { BatchLoader, type BatchLoaderOptions, type BatchLoaderState } from "./batch_loader.js";
export { validationBatches, type ValidationOptions } from "./validation_batches.js";
export type { TokenBatch } from "./token_batch.js";
export { unigramEntropy } from "./unigram_entropy.js";
export { defaultCorpus } from "./default_corpus.js";
