import { statSync } from "node:fs";
import { collectPythonFiles } from "../data/corpus_files.js";
import { readDocument } from "../data/read_document.js";
import { readShard } from "../data/shard.js";
import { CspError } from "../errors.js";
import { forward } from "../model/gpt.js";
import { hookMatcher, type Intervention } from "../model/hooks.js";
import type { Model } from "../model/model.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import type { QuantileSnippets, Snippet } from "./api_types.js";

/** Fixed-length token windows [n, t] cut from a token stream. */
export interface Windows {
  ids: Int32Array;
  n: number;
  t: number;
}

/** The quantile buckets shown for pretraining snippets (as in the reference viewer). */
export const FRACTIONS = [0.001, 0.01, 0.1, 0.5];
/** Snippets per bucket and side. */
export const PER_BUCKET = 5;
/** Tokens shown on each side of the focus token. */
export const CONTEXT = 16;

/** Corpus text read for snippets is capped: the viewer needs windows, not the whole corpus. */
const MAX_CORPUS_CHARS = 4_000_000;

/**
 * Token ids for snippets: a uint16 token shard (as `csp` writes them), or corpus files/directories
 * encoded with the tokenizer (documents separated by `<|endoftext|>`).
 */
export function readSampleTokens(
  source: { shard?: string; corpus?: readonly string[] },
  vocab: number,
  tokenizer?: Tokenizer,
): Int32Array {
  if (source.shard) return Int32Array.from(readShard(source.shard, vocab));
  if (!source.corpus || source.corpus.length === 0) throw new CspError("no sample source given");
  if (!tokenizer) throw new CspError(`${source.corpus[0]}: a corpus needs a tokenizer (--tokenizer DIR)`);
  const files = source.corpus.flatMap((p) =>
    statSafe(p)?.isFile() ? [{ path: p, relPath: p, size: 0, mtimeMs: 0 }] : collectPythonFiles([p]),
  );
  const ids: number[] = [];
  let chars = 0;
  for (const f of files) {
    const doc = readDocument(f);
    if (!("text" in doc)) continue;
    const text = doc.text.slice(0, MAX_CORPUS_CHARS - chars);
    for (const id of tokenizer.encode(text)) ids.push(id);
    ids.push(tokenizer.eotId);
    chars += text.length;
    if (chars >= MAX_CORPUS_CHARS) break;
  }
  if (ids.length === 0) throw new CspError(`${source.corpus[0]}: no readable text for samples`);
  for (const id of ids)
    if (id >= vocab) throw new CspError(`${source.corpus[0]}: token ${id} is outside the model's vocabulary`);
  return Int32Array.from(ids);
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    throw new CspError(`${p}: corpus path not found`);
  }
}

/** One location's activations over all windows, [n·t·width], under optional interventions. */
export function locationActivations(
  model: Model,
  w: Windows,
  loc: string,
  interventions?: Map<string, Intervention>,
  batch = 16,
): { data: Float32Array; width: number } {
  const record = hookMatcher(loc.replace(/\./g, "\\.") + "$");
  let out: Float32Array | undefined;
  let width = 0;
  for (let start = 0; start < w.n; start += batch) {
    const b = Math.min(batch, w.n - start);
    const { hooks } = forward(model, w.ids.subarray(start * w.t, (start + b) * w.t), b, w.t, {
      record,
      interventions,
    });
    const h = hooks.get(loc);
    if (!h) throw new CspError(`"${loc}" is not a hook of this model`);
    width = h.width;
    out ??= new Float32Array(w.n * w.t * width);
    out.set(h.data, start * w.t * width);
  }
  return { data: out!, width };
}

/** The text of each token for display (partial UTF-8 characters become U+FFFD). */
export function tokenTexts(ids: ArrayLike<number>, tokenizer?: Tokenizer): string[] {
  const dec = new TextDecoder("utf-8");
  return Array.from(ids, (id) => (tokenizer ? dec.decode(tokenizer.tokenBytes(id)) : `⟨${id}⟩`));
}

/**
 * Snippets around positions whose activation sits in the top and bottom fraction f of all positions,
 * for each f in FRACTIONS: PER_BUCKET evenly spaced ranks inside each bucket, one per window where
 * possible, shown as ±CONTEXT tokens around the focus.
 */
export function quantileSnippets(
  acts: Float32Array,
  w: Windows,
  texts: (ids: Int32Array) => string[],
): QuantileSnippets[] {
  const N = acts.length;
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => acts[a] - acts[b] || a - b);
  const pick = (from: number, to: number): Snippet[] => {
    // Evenly spaced ranks in [from, to), preferring positions from windows not shown yet.
    const span = Math.max(1, to - from);
    const candidates = Math.min(span, PER_BUCKET * 4);
    const chosen: Snippet[] = [];
    const used = new Set<number>();
    for (const allowRepeat of [false, true]) {
      for (let j = 0; j < candidates && chosen.length < PER_BUCKET; j++) {
        const pos = order[from + Math.floor(((j + 0.5) * span) / candidates)];
        const win = Math.floor(pos / w.t);
        if (used.has(pos) || (!allowRepeat && used.has(-1 - win))) continue;
        used.add(pos).add(-1 - win);
        chosen.push(snippetAt(acts, w, pos, texts));
      }
    }
    return chosen;
  };
  return FRACTIONS.map((fraction) => {
    const size = Math.max(1, Math.round(fraction * N));
    return { fraction, top: pick(N - size, N).reverse(), bottom: pick(0, size) };
  });
}

function snippetAt(
  acts: Float32Array,
  w: Windows,
  pos: number,
  texts: (ids: Int32Array) => string[],
): Snippet {
  const win = Math.floor(pos / w.t);
  const at = pos % w.t;
  const lo = Math.max(0, at - CONTEXT);
  const hi = Math.min(w.t, at + CONTEXT + 1);
  const ids = w.ids.subarray(win * w.t + lo, win * w.t + hi);
  const strs = texts(ids);
  return {
    tokens: strs.map((text, i) => ({ text, act: acts[win * w.t + lo + i] })),
    focus: at - lo,
  };
}
