import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { formatDataGym } from "../tokenizer/data_gym.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { collectPythonFiles, type CorpusFile } from "./corpus_files.js";
import { readCorpusDocuments, type CorpusDocument } from "./corpus_documents.js";
import { readShard, writeShard } from "./shard.js";
import { DEFAULT_VAL_FRACTION } from "./split.js";

/** Default root of the cache of tokenised corpora (ignored by git). */
export const DEFAULT_CACHE_DIR = ".csp-cache";
/** Bumped whenever the shard contents for the same inputs would change. */
const SHARD_FORMAT = 1;
export const TRAIN_SHARD = "train.bin";
export const VAL_SHARD = "val.bin";
export const MANIFEST_FILE = "manifest.json";

/** What a prepared corpus directory holds, written last so that its presence means the shards are whole. */
export interface CorpusManifest {
  format: number;
  /** Hash of the tokenizer files, the split fraction and every file's path, size and mtime. */
  key: string;
  vocabSize: number;
  eotId: number;
  valFraction: number;
  trainTokens: number;
  valTokens: number;
  trainFiles: number;
  /** Validation files, relative to their corpus roots. */
  valFiles: string[];
  /** Files left out (absolute paths), by reason. */
  skippedNotUtf8: string[];
  skippedEmpty: string[];
  /** UTF-8 bytes of the documents that went in. */
  trainBytes: number;
  valBytes: number;
}

/** Progress of {@link prepareCorpus}: corpus bytes tokenised so far. */
export interface PrepareProgress {
  doneBytes: number;
  totalBytes: number;
}

/** Options of {@link prepareCorpus}. */
export interface PrepareCorpusOptions {
  /** Files and directories of Python code (see collectPythonFiles). */
  corpus: readonly string[];
  tokenizer: Tokenizer;
  /** Root of the cache; each distinct input gets its own subdirectory. Default `.csp-cache`. */
  cacheDir?: string;
  /** Share of files held out for validation (by path hash). Default 0.02. */
  valFraction?: number;
  onProgress?: (progress: PrepareProgress) => void;
}

/** A tokenised corpus ready for training. */
export interface PreparedCorpus {
  dir: string;
  trainPath: string;
  valPath: string;
  manifest: CorpusManifest;
  /** True when an existing cache entry was reused. */
  cached: boolean;
}

/**
 * Tokenises a corpus once into `train.bin` / `val.bin` (little-endian uint16 ids) plus `manifest.json`,
 * under `<cacheDir>/corpus-<key>/`. Each document is preceded by `<|endoftext|>`, so every document starts
 * after a boundary token, as in GPT-2 style training; documents are encoded as ordinary text (a literal
 * "<|endoftext|>" inside a file is not a boundary). A later call with the same tokenizer, split and files
 * (same sizes and mtimes) reuses the shards.
 */
export function prepareCorpus(options: PrepareCorpusOptions): PreparedCorpus {
  const valFraction = options.valFraction ?? DEFAULT_VAL_FRACTION;
  const files = collectPythonFiles(options.corpus);
  const tokenizerFiles = formatDataGym(options.tokenizer);
  const key = cacheKey(files, valFraction, tokenizerFiles.vocabBpe + "\0" + tokenizerFiles.encoderJson);
  const dir = join(options.cacheDir ?? DEFAULT_CACHE_DIR, `corpus-${key.slice(0, 16)}`);
  const paths = { dir, trainPath: join(dir, TRAIN_SHARD), valPath: join(dir, VAL_SHARD) };
  const existing = readValidManifest(dir, key);
  if (existing !== undefined) return { ...paths, manifest: existing, cached: true };

  const corpus = readCorpusDocuments(options.corpus, valFraction, files);
  const totalBytes = [...corpus.train, ...corpus.val].reduce((sum, d) => sum + d.file.size, 0);
  let doneBytes = 0;
  const encodeSide = (
    documents: CorpusDocument[],
  ): { chunks: Uint16Array[]; tokens: number; bytes: number } => {
    const chunks: Uint16Array[] = [];
    let tokens = 0;
    let bytes = 0;
    for (const doc of documents) {
      const ids = options.tokenizer.encode(doc.text);
      const chunk = new Uint16Array(ids.length + 1);
      chunk[0] = options.tokenizer.eotId;
      chunk.set(ids, 1);
      chunks.push(chunk);
      tokens += chunk.length;
      bytes += Buffer.byteLength(doc.text, "utf8");
      doneBytes += doc.file.size;
      options.onProgress?.({ doneBytes, totalBytes });
    }
    return { chunks, tokens, bytes };
  };
  const train = encodeSide(corpus.train);
  const val = encodeSide(corpus.val);
  const manifest: CorpusManifest = {
    format: SHARD_FORMAT,
    key,
    vocabSize: options.tokenizer.vocabSize,
    eotId: options.tokenizer.eotId,
    valFraction,
    trainTokens: train.tokens,
    valTokens: val.tokens,
    trainFiles: corpus.train.length,
    valFiles: corpus.val.map((d) => d.file.relPath),
    skippedNotUtf8: corpus.skippedNotUtf8,
    skippedEmpty: corpus.skippedEmpty,
    trainBytes: train.bytes,
    valBytes: val.bytes,
  };
  writeShard(paths.trainPath, train.chunks);
  writeShard(paths.valPath, val.chunks);
  writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  return { ...paths, manifest, cached: false };
}

function cacheKey(files: readonly CorpusFile[], valFraction: number, tokenizerText: string): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ format: SHARD_FORMAT, valFraction }));
  hash.update(createHash("sha256").update(tokenizerText).digest("hex"));
  for (const f of files) hash.update(`\n${f.path}\t${f.relPath}\t${f.size}\t${f.mtimeMs}`);
  return hash.digest("hex");
}

/** The manifest of a complete cache entry for `key`, or undefined if there is none (or it is damaged). */
function readValidManifest(dir: string, key: string): CorpusManifest | undefined {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  let manifest: CorpusManifest;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8")) as CorpusManifest;
  } catch {
    return undefined;
  }
  if (manifest.key !== key || manifest.format !== SHARD_FORMAT) return undefined;
  const sizeOk = (file: string, tokens: number): boolean =>
    existsSync(join(dir, file)) && statSync(join(dir, file)).size === 2 * tokens;
  if (!sizeOk(TRAIN_SHARD, manifest.trainTokens) || !sizeOk(VAL_SHARD, manifest.valTokens)) return undefined;
  return manifest;
}

/** Loads both shards of a prepared corpus, checking ids against the manifest's vocabulary. */
export function loadPreparedShards(prepared: PreparedCorpus): { train: Uint16Array; val: Uint16Array } {
  const { vocabSize } = prepared.manifest;
  const train = readShard(prepared.trainPath, vocabSize);
  const val = readShard(prepared.valPath, vocabSize);
  if (train.length !== prepared.manifest.trainTokens)
    throw fileError(
      prepared.trainPath,
      `holds ${train.length} tokens, manifest says ${prepared.manifest.trainTokens}`,
    );
  return { train, val };
}
