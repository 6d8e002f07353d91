import { parseConfig, modelDims } from "../model/config.js";
import { createModel, type Model } from "../model/model.js";
import { parameterSpecs } from "../model/params.js";
import { Rng } from "../random/rng.js";
import type { PrunePair } from "../circuit/task_data.js";

/**
 * A model with a planted circuit, for checking that pruning finds what is known to be there (tests,
 * benchmarks, demos). Task: sequences hold one marker token (A or B) somewhere and end in a query token
 * Q; the answer after Q is X if the marker was A, Y if it was B. The mechanism, all in layer 0:
 *   residual ch0 = "is a marker", ch1 = marker type (+1 A, −1 B), ch2 = "is Q", ch3 = a constant on every token;
 *   attention head 0: q0 = g·act_in[2], k0 = g·act_in[0] (Q attends to the marker), v0 = act_in[1];
 *   c_proj writes y0 to residual ch4; MLP neurons 0/1 = GELU(±β·act_in[4]), c_proj writes
 *   post0 − post1 to ch5; the unembedding reads ch5 into X (+α) and Y (−α).
 * Everything else is sparse random "noise" that reads only ch3 and ch6.. and writes only ch6.., so the
 * marker type reaches the logits through v0 → ch4 → neurons 0/1 → ch5 → final_resid ch5 alone.
 */
export interface PlantedModelOptions {
  nLayer: number;
  dModel: number;
  nHead: number;
  dHead: number;
  dMlp: number;
  vocab: number;
  blockSize: number;
  tokens: PlantedTokens;
  /** Fraction of the noise weights that are nonzero. */
  noiseDensity: number;
  /** Standard deviation of the nonzero noise weights. */
  noiseScale: number;
  /** Gain of the query and key weights (attention sharpness). */
  attnGain: number;
  /** Value of the always-on residual ch3: a large one keeps the RMSNorms near-linear on the circuit. */
  constValue: number;
  /** Gain of the two planted MLP neurons on ch4. */
  mlpGain: number;
  /** Unembedding gain α on ch5. */
  logitGain: number;
  afrac: number | null;
  seed: number;
}

/** Token ids the planted task uses; every other id is filler. */
export interface PlantedTokens {
  markerA: number;
  markerB: number;
  query: number;
  answerX: number;
  answerY: number;
}

export const PLANTED_TOKENS: PlantedTokens = { markerA: 0, markerB: 1, query: 2, answerX: 3, answerY: 4 };

export const DEFAULT_PLANTED: PlantedModelOptions = {
  nLayer: 2,
  dModel: 8,
  nHead: 2,
  dHead: 4,
  dMlp: 8,
  vocab: 16,
  blockSize: 32,
  tokens: PLANTED_TOKENS,
  noiseDensity: 0.5,
  noiseScale: 0.3,
  attnGain: 8,
  constValue: 3,
  mlpGain: 1,
  logitGain: 4,
  afrac: null,
  seed: 0,
};

/** The nodes the planted mechanism cannot do without (the only route of the marker type). */
export const PLANTED_ESSENTIAL_NODES = [
  "0.attn.act_in:1",
  "0.attn.v:0",
  "0.attn.resid_delta:4",
  "0.mlp.act_in:4",
  "0.mlp.resid_delta:5",
  "final_resid:5",
];

export function plantedModel(options: Partial<PlantedModelOptions> = {}): Model {
  const o = { ...DEFAULT_PLANTED, ...options };
  const config = parseConfig(
    {
      block_size: o.blockSize,
      vocab_size: o.vocab,
      n_layer: o.nLayer,
      n_head: o.nHead,
      d_head: o.dHead,
      d_model: o.dModel,
      d_mlp: o.dMlp,
      rms_norm: true,
      tied_unembed: false,
      bias: true,
      afrac: o.afrac,
      afrac_loctypes: "attn_in,attn_out,mlp_in,mlp_out,mlp_neuron,attn_v,attn_k,attn_q",
    },
    "planted model",
  ).config;
  const dims = modelDims(config);
  const rng = new Rng(o.seed);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const spec of parameterSpecs(config, dims)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (/ln_\w+\.weight$/.test(spec.name)) data.fill(1);
    tensors.set(spec.name, { shape: spec.shape, data });
  }
  const W = (name: string) => tensors.get(name)!.data;
  const { dModel: d, dAttn: D, dMlp } = dims;
  const noiseRead = [3, ...range(6, d)];
  const noiseWrite = range(6, d);
  const noise = () => (rng.uniform() < o.noiseDensity ? o.noiseScale * rng.normal() : 0);
  /** Random weights from `cols` into `rows` of a [*, inWidth] matrix. */
  const fill = (w: Float32Array, inWidth: number, rows: number[], cols: number[]) => {
    for (const r of rows) for (const c of cols) w[r * inWidth + c] = noise();
  };

  const t = o.tokens;
  const wte = W("transformer.wte.weight");
  const special = new Set(Object.values(t));
  for (let id = 0; id < o.vocab; id++) {
    const row = wte.subarray(id * d, (id + 1) * d);
    row[3] = o.constValue;
    if (id === t.markerA || id === t.markerB) {
      row[0] = 1;
      row[1] = id === t.markerA ? 1 : -1;
    } else if (id === t.query) row[2] = 1;
    else if (!special.has(id))
      for (const c of noiseWrite) row[c] = rng.uniform() < 0.5 ? 0 : rng.normal() * 0.5;
  }
  for (let i = 0; i < o.nLayer; i++) {
    const p = `transformer.h.${i}`;
    const cAttn = W(`${p}.attn.c_attn.weight`);
    const attnProj = W(`${p}.attn.c_proj.weight`);
    const cFc = W(`${p}.mlp.c_fc.weight`);
    const mlpProj = W(`${p}.mlp.c_proj.weight`);
    const planted = i === 0;
    const qkvRows = range(0, 3 * D).filter((r) => !(planted && (r === 0 || r === D || r === 2 * D)));
    fill(cAttn, d, qkvRows, noiseRead);
    fill(attnProj, D, noiseWrite, range(planted ? 1 : 0, D));
    const neurons = range(planted ? 2 : 0, dMlp);
    fill(cFc, d, neurons, noiseRead);
    fill(mlpProj, dMlp, noiseWrite, neurons);
    if (planted) {
      cAttn[0 * d + 2] = o.attnGain; // q0 ← "is Q"
      cAttn[D * d + 0] = o.attnGain; // k0 ← "is a marker"
      cAttn[2 * D * d + 1] = 1; // v0 ← marker type
      attnProj[4 * D + 0] = 1; // ch4 ← y0
      cFc[0 * d + 4] = o.mlpGain; // neuron 0 ← +ch4
      cFc[1 * d + 4] = -o.mlpGain; // neuron 1 ← −ch4
      mlpProj[5 * dMlp + 0] = 1; // ch5 ← neuron 0 − neuron 1
      mlpProj[5 * dMlp + 1] = -1;
    }
  }
  const lmHead = W("lm_head.weight");
  for (let id = 0; id < o.vocab; id++) {
    if (id === t.answerX) lmHead[id * d + 5] = o.logitGain;
    else if (id === t.answerY) lmHead[id * d + 5] = -o.logitGain;
    else fill(lmHead, d, [id], noiseRead);
  }
  return createModel(config, tensors, "planted model", (n) => new Float32Array(n));
}

/**
 * `count` pairs of the planted task: lengths from minLen to maxLen, the marker at a random position
 * before the final Q, fillers from `fillers`; the two sequences of a pair differ only in the marker.
 * Every `testEvery`-th pair is in the test split.
 */
export function plantedPairs(opts: {
  count: number;
  minLen: number;
  maxLen: number;
  fillers: readonly number[];
  tokens?: PlantedTokens;
  seed: number;
  testEvery?: number;
}): PrunePair[] {
  const t = opts.tokens ?? PLANTED_TOKENS;
  const rng = new Rng(opts.seed);
  const pairs: PrunePair[] = [];
  for (let i = 0; i < opts.count; i++) {
    const len = opts.minLen + rng.int(opts.maxLen - opts.minLen + 1);
    const a = new Int32Array(len);
    for (let j = 0; j < len - 1; j++) a[j] = opts.fillers[rng.int(opts.fillers.length)];
    a[len - 1] = t.query;
    const pos = rng.int(len - 1);
    const b = a.slice();
    a[pos] = t.markerA;
    b[pos] = t.markerB;
    const test = opts.testEvery !== undefined && i % opts.testEvery === opts.testEvery - 1;
    pairs.push({ id: String(i), split: test ? "test" : "train", a, b, aNext: t.answerX, bNext: t.answerY });
  }
  return pairs;
}

/** Random "pretraining" windows over the whole vocabulary, [count·length]. */
export function randomWindows(vocab: number, count: number, length: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: count * length }, () => rng.int(vocab));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
