/** Byte-level BPE tokenizer (tinypython_2k compatible): encoding, data-gym files, training. */
export { REFERENCE_PATTERN, PRETOKEN_PATTERN, pretokenize, forEachPretoken } from "./pretokenize.js";
export { BYTE_ORDER, BYTE_RANK, bytesToDataGym, dataGymToBytes } from "./byte_alphabet.js";
export { Tokenizer, ENDOFTEXT, type BpeMerge, type EncodeOptions } from "./tokenizer.js";
export { parseDataGym, formatDataGym, type DataGymFiles, type DataGymNames } from "./data_gym.js";
export { loadTokenizer, saveTokenizer, VOCAB_BPE_FILE, ENCODER_JSON_FILE } from "./tokenizer_files.js";
export { ChunkCounter, countChunks, type ChunkCounts } from "./chunk_counts.js";
export {
  trainBpe,
  checkVocabSize,
  DEFAULT_VOCAB_SIZE,
  MAX_VOCAB_SIZE,
  type TrainBpeOptions,
  type TrainBpeProgress,
} from "./train_bpe.js";
export { measureCompression, type CompressionStats } from "./compression.js";
