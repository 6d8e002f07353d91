import { getBackend, type Backend } from "../backend/index.js";
import { CspError } from "../errors.js";
import { Tensor, allocLike, type FloatArray } from "../tensor/tensor.js";
import { topkCount, type Loctype } from "./config.js";
import type { Intervention } from "./hooks.js";
import { absTopKBackward } from "./layers/abstopk.js";
import { crossEntropy } from "./layers/cross_entropy.js";
import { embeddingForward, embeddingRowsFromCsr } from "./layers/embedding.js";
import { reluBackward, reluForward } from "./layers/gelu.js";
import { layerNormBackward, layerNormForward } from "./layers/layernorm.js";
import { linearBackward, linearForward, type WeightGradMode } from "./layers/linear.js";
import { param, type Model } from "./model.js";
import type { StepWorkspace } from "./workspace.js";
import { DEFAULT_SPARSE_THRESHOLD, invalidateSparseWeight, sparseWeightOf } from "./sparse_weights.js";

export interface ForwardOptions {
  /** Next-token targets [B·T]; -1 is ignored. With targets the result has a mean cross-entropy loss. */
  targets?: Int32Array;
  /** Record every hook whose name matches (anchored at the start, as Python's re.match). */
  record?: RegExp;
  /** Replace activations at hook points; the result flows downstream. */
  interventions?: Map<string, Intervention>;
  /** Keep what backward() needs. */
  keepCache?: boolean;
  /** Also record d loss / d activation at recorded hook points in backward(). */
  saveHookGrads?: boolean;
  backend?: Backend;
  /**
   * Linear weights (Float32) whose density is at most this run on the sparse kernels, forward and
   * backward (default DEFAULT_SPARSE_THRESHOLD; 0: always dense gemm; 1: sparse for every one).
   */
  sparseThreshold?: number;
  /** Default for backward()'s weightGrad. */
  weightGrad?: WeightGradMode;
  /**
   * With keepCache: take every array of this pass and of its backward() from here (a training loop
   * passes the same one each step). The previous pass's results and cache are overwritten.
   */
  workspace?: StepWorkspace;
}

export interface BackwardOptions {
  /** Backpropagate this d loss / d logits [B·T·V] instead of the forward's cross-entropy's. */
  dLogits?: FloatArray;
  backend?: Backend;
  /** As in ForwardOptions; defaults to the forward pass's. */
  sparseThreshold?: number;
  /**
   * Arrays to write the gradients into (zeroed first), by parameter name, instead of fresh ones: a
   * training loop passes the same ones every step, sparing 4 bytes per parameter of allocation and
   * garbage per step. Each must have its parameter's size and float type; missing names get fresh arrays.
   */
  gradBuffers?: Map<string, Tensor>;
  /**
   * Gradient of a weight on the sparse path: "dense" (default) at every entry, as the reference, so
   * pruned weights can regrow; "masked" only at its current nonzeros (SDDMM, cost ∝ N·nnz), zero
   * elsewhere. A tied unembedding always gets the dense gradient (its embedding part is dense anyway).
   */
  weightGrad?: WeightGradMode;
}

export interface ForwardResult {
  /** [B, T, V] */
  logits: Tensor;
  loss?: number;
  /** Recorded activations (after any intervention), by hook name. */
  hooks: Map<string, Tensor>;
  cache?: ForwardCache;
}

export interface BackwardResult {
  /** d loss / d parameter for every trained parameter (role "param"). */
  grads: Map<string, Tensor>;
  /** d loss / d activation at recorded hook points, when saveHookGrads was set. */
  hookGrads: Map<string, Tensor>;
}

/** A normalisation of rows of width d: RMSNorm, or LayerNorm when rms_norm is false. */
interface NormCache {
  x: FloatArray;
  rstd: FloatArray;
  mean?: FloatArray;
}

interface HookCache {
  name: string;
  /** Input to the intervention, when there was one. */
  input?: Tensor;
  intervention?: Intervention;
}

interface LayerCache {
  xIn: FloatArray;
  norm1: NormCache;
  normP1?: NormCache;
  actIn1: FloatArray;
  keptIn1?: Uint8Array;
  q: FloatArray;
  k: FloatArray;
  v: FloatArray;
  keptQ?: Uint8Array;
  keptK?: Uint8Array;
  keptV?: Uint8Array;
  probs: FloatArray;
  pSink?: FloatArray;
  y: FloatArray;
  keptOut1?: Uint8Array;
  resid1: ResidCache;
  xMid: FloatArray;
  norm2: NormCache;
  normP2?: NormCache;
  actIn2: FloatArray;
  keptIn2?: Uint8Array;
  u: FloatArray;
  a: FloatArray;
  keptNeuron?: Uint8Array;
  keptOut2?: Uint8Array;
  resid2: ResidCache;
  hooks: Map<string, HookCache>;
}

/** What the optional ReLU / AbsTopK on the residual after a sublayer kept. */
interface ResidCache {
  preRelu?: FloatArray;
  kept?: Uint8Array;
}

export interface ForwardCache {
  ids: Int32Array;
  b: number;
  t: number;
  layers: LayerCache[];
  xFinal: FloatArray;
  normF: NormCache;
  zF: FloatArray;
  dLogits?: FloatArray;
  finalHook: HookCache;
  saveHookGrads: boolean;
  record?: RegExp;
  sparseThreshold: number;
  weightGrad?: WeightGradMode;
  workspace?: StepWorkspace;
}

/** Runs the GPT on inputIds [B, T], operation for operation as the reference (spec A.3). */
export function forward<A extends FloatArray>(
  model: Model<A>,
  inputIds: Int32Array,
  b: number,
  t: number,
  opts: ForwardOptions = {},
): ForwardResult {
  const be = opts.backend ?? getBackend();
  const { config, dims } = model;
  const n = b * t;
  if (inputIds.length !== n)
    throw new CspError(`input_ids has ${inputIds.length} values, expected B·T = ${n}`);
  if (t > dims.blockSize) throw new CspError(`sequence length ${t} exceeds block_size ${dims.blockSize}`);
  for (let i = 0; i < n; i++) {
    const id = inputIds[i];
    if (!(id >= 0 && id < dims.vocab))
      throw new CspError(`token id ${id} at position ${i} is outside the vocabulary [0, ${dims.vocab})`);
  }
  const like = param(model, "transformer.ln_f.weight");
  const keep = opts.keepCache ?? false;
  const ws = keep ? opts.workspace : undefined;
  ws?.restart();
  const alloc = (len: number) => (ws ? ws.floats(like, len) : allocLike(like, len));
  const sparseThreshold = opts.sparseThreshold ?? DEFAULT_SPARSE_THRESHOLD;
  /**
   * Linear weight `name` [rows, cols]: its sparse form when it takes the sparse path (a weight held
   * sparse is then never built dense), else its dense data.
   */
  const weightOf = (name: string, rows: number, cols: number) => {
    const sparse = sparseWeightOf(model.params.get(name)!, rows, cols, sparseThreshold);
    return sparse ? { sparse } : { w: param(model, name) };
  };
  // Without a cache or interventions, no per-layer buffer outlives its layer (hooks record copies),
  // so each is reused across layers: less allocation and garbage, a lower peak memory in inference.
  // An intervention might keep a reference to the activation it was given, so then nothing is reused.
  const reuse = !keep && !(opts.interventions && opts.interventions.size > 0);
  const scratch = new Map<string, FloatArray>();
  const temp = (key: string, len: number): FloatArray => {
    if (!reuse) return alloc(len);
    let buf = scratch.get(key);
    if (!buf || buf.length !== len) scratch.set(key, (buf = alloc(len)));
    return buf;
  };
  const keptScratch = new Map<string, Uint8Array>();
  const keptMask = (key: string, len: number): Uint8Array => {
    if (!reuse) return ws ? ws.mask(len) : new Uint8Array(len);
    let buf = keptScratch.get(key);
    if (!buf || buf.length !== len) keptScratch.set(key, (buf = new Uint8Array(len)));
    return buf;
  };
  const hooks = new Map<string, Tensor>();
  const interventions = opts.interventions;

  /** Applies an intervention and records; returns the activation used downstream. */
  const hook = (
    name: string,
    data: FloatArray,
    width: number,
    store: Map<string, HookCache> | null,
  ): FloatArray => {
    const shape = [b, t, width];
    let out = data;
    const iv = interventions?.get(name);
    const entry: HookCache = { name };
    if (iv) {
      const input = new Tensor(data, shape);
      const replaced = iv.forward(keep ? input.clone() : input);
      if (replaced.size !== data.length) {
        throw new CspError(
          `intervention at ${name} returned ${replaced.size} values, expected ${data.length}`,
        );
      }
      out = replaced.data;
      if (keep) {
        entry.input = input;
        entry.intervention = iv;
      }
    }
    if (store) store.set(name, entry);
    if (opts.record?.test(name)) hooks.set(name, new Tensor(out.slice(), shape));
    return out;
  };

  const topk = (loc: Loctype, x: FloatArray, width: number): Uint8Array | undefined => {
    const frac = dims.afrac[loc];
    if (frac === undefined) return undefined;
    const kept = keptMask(loc, n * width);
    be.absTopK(x, n, width, topkCount(frac, width), kept);
    return kept;
  };

  const norm = (
    x: FloatArray,
    rows: number,
    width: number,
    prefix: string,
    out: FloatArray,
    outStride: number,
    outOffset: number,
  ): NormCache => {
    const w = param(model, `${prefix}.weight`);
    const rstd = alloc(rows);
    if (config.rms_norm) {
      be.rmsNormForward({ x, w, n: rows, d: width, out, rstd, outStride, outOffset });
      return { x, rstd };
    }
    const mean = alloc(rows);
    const bias = model.params.get(`${prefix}.bias`)?.data;
    layerNormForward({ x, w, b: bias, n: rows, d: width, out, mean, rstd, outStride, outOffset });
    return { x, rstd, mean };
  };

  // Positional table rows 0..T-1: added to the residual, or normalised and concatenated per sublayer.
  const wpe = param(model, "transformer.wpe.weight");
  let x = alloc(n * dims.dModel);
  const wte = model.params.get("transformer.wte.weight")!;
  if (wte.heldCsr) embeddingRowsFromCsr(wte.heldCsr, inputIds, x);
  else embeddingForward(wte.data, dims.dModel, inputIds, x);
  if (!dims.catPosEmb) be.addGatheredRows(wpe, positionIds(b, t), dims.dModel, x);

  const layers: LayerCache[] = [];
  const D = dims.dAttn;
  const dIn = dims.dModelIn;
  for (let li = 0; li < dims.nLayer; li++) {
    const pre = `transformer.h.${li}`;
    const hc = new Map<string, HookCache>();
    // ---- attention sublayer
    const xIn = hook(`${li}.resid_in`, x, dims.dModel, hc);
    const actIn1 = temp("actIn1", n * dIn);
    const norm1 = norm(xIn, n, dims.dModel, `${pre}.ln_1`, actIn1, dIn, 0);
    const normP1 = dims.catPosEmb ? catPositions(actIn1, `${pre}.ln_p1`) : undefined;
    const keptIn1 = topk("attn_in", actIn1, dIn);
    const hAttn = hook(`${li}.attn.act_in`, actIn1, dIn, hc);
    const qkv = temp("qkv", n * 3 * D);
    linearForward(be, {
      x: hAttn,
      b: model.params.get(`${pre}.attn.c_attn.bias`)?.data,
      n,
      dIn,
      dOut: 3 * D,
      out: qkv,
      ...weightOf(`${pre}.attn.c_attn.weight`, 3 * D, dIn),
    });
    let q = temp("q", n * D);
    let k = temp("k", n * D);
    let v = temp("v", n * D);
    for (const [dst, offset] of [
      [q, 0],
      [k, D],
      [v, 2 * D],
    ] as const) {
      be.copyBlock({
        src: qkv,
        srcStride: 3 * D,
        srcOffset: offset,
        dst,
        dstStride: D,
        dstOffset: 0,
        rows: n,
        width: D,
      });
    }
    // The reference sparsifies and records k, then q, then v.
    const keptK = topk("attn_k", k, D);
    k = hook(`${li}.attn.k`, k, D, hc);
    const keptQ = topk("attn_q", q, D);
    q = hook(`${li}.attn.q`, q, D, hc);
    const keptV = topk("attn_v", v, D);
    v = hook(`${li}.attn.v`, v, D, hc);
    const sink = config.sink ? param(model, `${pre}.attn.attn_imp.sink_logit`) : undefined;
    // Only the backward reads the attention probabilities: without a cache they are not stored at all.
    const probs = keep ? alloc(b * dims.nHead * t * t) : undefined;
    const pSink = sink ? alloc(b * dims.nHead * t) : undefined;
    const yRaw = temp("yRaw", n * D);
    be.attentionForward({ b, t, nHead: dims.nHead, dHead: dims.dHead }, q, k, v, sink, yRaw, probs, pSink);
    const y = hook(`${li}.attn.y`, yRaw, D, hc);
    const o = temp("o", n * dims.dModel);
    linearForward(be, {
      x: y,
      b: model.params.get(`${pre}.attn.c_proj.bias`)?.data,
      n,
      dIn: D,
      dOut: dims.dModel,
      out: o,
      ...weightOf(`${pre}.attn.c_proj.weight`, dims.dModel, D),
    });
    const keptOut1 = topk("attn_out", o, dims.dModel);
    const oDelta = hook(`${li}.attn.resid_delta`, o, dims.dModel, hc);
    const x1 = temp("x1", n * dims.dModel);
    be.addInto(xIn, oDelta, x1, x1.length);
    const resid1 = residualActivation(x1, "resid_post_attn");
    // ---- MLP sublayer
    const xMid = hook(`${li}.resid_mid`, x1, dims.dModel, hc);
    const actIn2 = temp("actIn2", n * dIn);
    const norm2 = norm(xMid, n, dims.dModel, `${pre}.ln_2`, actIn2, dIn, 0);
    const normP2 = dims.catPosEmb ? catPositions(actIn2, `${pre}.ln_p2`) : undefined;
    const keptIn2 = topk("mlp_in", actIn2, dIn);
    const hMlp = hook(`${li}.mlp.act_in`, actIn2, dIn, hc);
    const u = temp("u", n * dims.dMlp);
    linearForward(be, {
      x: hMlp,
      b: model.params.get(`${pre}.mlp.c_fc.bias`)?.data,
      n,
      dIn,
      dOut: dims.dMlp,
      out: u,
      ...weightOf(`${pre}.mlp.c_fc.weight`, dims.dMlp, dIn),
    });
    const aRaw = temp("aRaw", n * dims.dMlp);
    if (config.activation_type === "gelu") be.gelu(u, aRaw, aRaw.length);
    else reluForward(u, aRaw, aRaw.length);
    const keptNeuron = topk("mlp_neuron", aRaw, dims.dMlp);
    const a = hook(`${li}.mlp.post_act`, aRaw, dims.dMlp, hc);
    const m = temp("m", n * dims.dModel);
    linearForward(be, {
      x: a,
      b: model.params.get(`${pre}.mlp.c_proj.bias`)?.data,
      n,
      dIn: dims.dMlp,
      dOut: dims.dModel,
      out: m,
      ...weightOf(`${pre}.mlp.c_proj.weight`, dims.dModel, dims.dMlp),
    });
    const keptOut2 = topk("mlp_out", m, dims.dModel);
    const mDelta = hook(`${li}.mlp.resid_delta`, m, dims.dModel, hc);
    const x2 = temp("x2", n * dims.dModel);
    be.addInto(xMid, mDelta, x2, x2.length);
    const resid2 = residualActivation(x2, "resid_post_mlp");
    x = x2;
    if (keep) {
      layers.push({
        xIn,
        norm1,
        normP1,
        actIn1: hAttn,
        keptIn1,
        q,
        k,
        v,
        keptQ,
        keptK,
        keptV,
        probs: probs!,
        pSink,
        y,
        keptOut1,
        resid1,
        xMid,
        norm2,
        normP2,
        actIn2: hMlp,
        keptIn2,
        u,
        a,
        keptNeuron,
        keptOut2,
        resid2,
        hooks: hc,
      });
    }
  }

  const finalStore = new Map<string, HookCache>();
  const xFinal = hook("final_resid", x, dims.dModel, finalStore);
  const zF = alloc(n * dims.dModel);
  const normF = norm(xFinal, n, dims.dModel, "transformer.ln_f", zF, dims.dModel, 0);
  const V = dims.vocab;
  const logits = alloc(n * V);
  const unembedName = config.tied_unembed ? "transformer.wte.weight" : "lm_head.weight";
  linearForward(be, {
    x: zF,
    b: param(model, "final_logits_bias"),
    n,
    dIn: dims.dModel,
    dOut: V,
    out: logits,
    ...weightOf(unembedName, V, dims.dModel),
  });
  if (config.enable_bigram_table) {
    be.addGatheredRows(param(model, "bigram_table"), inputIds, V, logits);
  }

  const result: ForwardResult = { logits: new Tensor(logits, [b, t, V]), hooks };
  let dLogits: FloatArray | undefined;
  if (opts.targets) {
    if (opts.targets.length !== n)
      throw new CspError(`targets has ${opts.targets.length} values, expected B·T = ${n}`);
    for (let i = 0; i < n; i++) {
      const tg = opts.targets[i];
      if (tg !== -1 && !(tg >= 0 && tg < V))
        throw new CspError(`target ${tg} at position ${i} is outside the vocabulary [0, ${V})`);
    }
    if (keep) dLogits = alloc(n * V);
    result.loss = crossEntropy(logits, opts.targets, V, dLogits, 1, be).loss;
  }
  if (keep) {
    result.cache = {
      ids: inputIds,
      b,
      t,
      layers,
      xFinal,
      normF,
      zF,
      dLogits,
      finalHook: finalStore.get("final_resid")!,
      saveHookGrads: opts.saveHookGrads ?? false,
      record: opts.record,
      sparseThreshold,
      weightGrad: opts.weightGrad,
      workspace: ws,
    };
  }
  return result;

  /** Writes RMSNorm(wpe[0:T]) into the positional columns of every row; returns its cache. */
  function catPositions(out: FloatArray, prefix: string): NormCache {
    const pos = wpe.subarray(0, t * dims.dPos) as FloatArray;
    const normed = alloc(t * dims.dPos);
    const cache = norm(pos, t, dims.dPos, prefix, normed, dims.dPos, 0);
    for (let r = 0; r < n; r++) {
      const src = (r % t) * dims.dPos;
      for (let j = 0; j < dims.dPos; j++) out[r * dIn + dims.dModel + j] = normed[src + j];
    }
    return cache;
  }

  /** The optional ReLU and AbsTopK applied to the residual after a sublayer (never used by released models). */
  function residualActivation(xr: FloatArray, loc: Loctype): ResidCache {
    const cache: ResidCache = {};
    if (config.residual_activation_type === "relu") {
      cache.preRelu = xr.slice();
      reluForward(xr, xr, xr.length);
    }
    cache.kept = topk(loc, xr, dims.dModel);
    return cache;
  }
}

/**
 * Gradients of the mean cross-entropy loss of a forward pass made with targets and keepCache.
 * dLogits may be given instead to backpropagate any other loss.
 */
export function backward<A extends FloatArray>(
  model: Model<A>,
  fwd: ForwardResult,
  opts: BackwardOptions = {},
): BackwardResult {
  const cache = fwd.cache;
  if (!cache) throw new Error("backward() needs a forward pass made with keepCache: true");
  const dLogits = opts.dLogits ?? cache.dLogits;
  if (!dLogits) throw new Error("backward() needs targets in the forward pass, or dLogits");
  const be = opts.backend ?? getBackend();
  const { config, dims } = model;
  const { b, t, ids } = cache;
  const n = b * t;
  const like = param(model, "transformer.ln_f.weight");
  // The forward's workspace continues here (gradients excepted: they are returned).
  const ws = cache.workspace;
  const alloc = (len: number) => (ws ? ws.floats(like, len) : allocLike(like, len));
  const grads = new Map<string, Tensor>();
  for (const spec of model.specs) {
    if (spec.role !== "param") continue;
    const size = spec.shape.reduce((p, q) => p * q, 1);
    const reused = opts.gradBuffers?.get(spec.name);
    if (reused && reused.size === size && reused.data.constructor === like.constructor) {
      reused.data.fill(0);
      grads.set(spec.name, reused);
    } else {
      grads.set(spec.name, new Tensor(allocLike(like, size), spec.shape));
    }
  }
  const g = (name: string): FloatArray | undefined => grads.get(name)?.data;
  const hookGrads = new Map<string, Tensor>();
  const sparseThreshold = opts.sparseThreshold ?? cache.sparseThreshold;
  const weightGrad = opts.weightGrad ?? cache.weightGrad ?? "dense";
  /** The sparse path of linear weight `name` [rows, cols], when it takes one. */
  const sparseOf = (name: string, rows: number, cols: number) => ({
    sparse: sparseWeightOf(model.params.get(name)!, rows, cols, sparseThreshold),
    weightGrad,
  });
  const D = dims.dAttn;
  const dIn = dims.dModelIn;
  const V = dims.vocab;
  const dPosTable = alloc(t * dims.dPos);

  /** Gradient through a hook point: record it, then through the intervention if there was one. */
  const hookBack = (entry: HookCache | undefined, dOut: FloatArray, width: number): FloatArray => {
    if (!entry) return dOut;
    if (cache.saveHookGrads && cache.record?.test(entry.name))
      hookGrads.set(entry.name, new Tensor(dOut.slice(), [b, t, width]));
    if (!entry.intervention) return dOut;
    if (!entry.intervention.backward) {
      throw new CspError(
        `the intervention at ${entry.name} has no backward; gradients cannot pass through it`,
      );
    }
    return entry.intervention.backward(new Tensor(dOut, [b, t, width]), entry.input!).data;
  };

  const normBack = (
    c: NormCache,
    rows: number,
    width: number,
    prefix: string,
    dy: FloatArray,
    dyStride: number,
    dyOffset: number,
    dx: FloatArray,
  ) => {
    const w = param(model, `${prefix}.weight`);
    if (config.rms_norm) {
      be.rmsNormBackward({
        dy,
        x: c.x,
        w,
        rstd: c.rstd,
        n: rows,
        d: width,
        dx,
        dw: g(`${prefix}.weight`),
        dyStride,
        dyOffset,
      });
    } else {
      layerNormBackward({
        dy,
        x: c.x,
        w,
        mean: c.mean!,
        rstd: c.rstd,
        n: rows,
        d: width,
        dx,
        dw: g(`${prefix}.weight`),
        db: g(`${prefix}.bias`),
        dyStride,
        dyOffset,
      });
    }
  };

  /** d of the positional columns, summed over the batch, through that sublayer's positional norm. */
  const posBack = (c: NormCache, prefix: string, dAct: FloatArray) => {
    const dNormed = alloc(t * dims.dPos);
    for (let r = 0; r < n; r++) {
      const dst = (r % t) * dims.dPos;
      for (let j = 0; j < dims.dPos; j++) dNormed[dst + j] += dAct[r * dIn + dims.dModel + j];
    }
    normBack(c, t, dims.dPos, prefix, dNormed, dims.dPos, 0, dPosTable);
  };

  const residBack = (c: ResidCache, dx: FloatArray) => {
    if (c.kept) absTopKBackward(dx, c.kept, dx.length, be);
    if (c.preRelu) reluBackward(c.preRelu, dx, dx, dx.length);
  };

  // ---- head: logits = z·Wᵤᵀ + bias + bigram[ids]
  if (config.enable_bigram_table && config.learnable_bigram_table) {
    // The reference never updates the last row (token V-1, <|endoftext|> in real vocabularies): its
    // fixtures' bigram gradient is zero there although the forward uses that row. We match it.
    be.scatterAddRows(dLogits, ids, V, g("bigram_table")!, V - 1);
  }
  const unembedName = config.tied_unembed ? "transformer.wte.weight" : "lm_head.weight";
  const dZ = alloc(n * dims.dModel);
  linearBackward(be, {
    dy: dLogits,
    x: cache.zF,
    w: param(model, unembedName),
    n,
    dIn: dims.dModel,
    dOut: V,
    dx: dZ,
    dw: g(unembedName),
    sparse: sparseOf(unembedName, V, dims.dModel).sparse,
    weightGrad: config.tied_unembed ? "dense" : weightGrad,
  });
  let dx = alloc(n * dims.dModel);
  normBack(cache.normF, n, dims.dModel, "transformer.ln_f", dZ, dims.dModel, 0, dx);
  dx = hookBack(cache.finalHook, dx, dims.dModel);

  for (let li = dims.nLayer - 1; li >= 0; li--) {
    const L = cache.layers[li];
    const pre = `transformer.h.${li}`;
    const h = (name: string) => L.hooks.get(`${li}.${name}`);
    // ---- MLP sublayer: x2 = act(xMid + topk(c_proj(a)))
    residBack(L.resid2, dx);
    let dm = hookBack(h("mlp.resid_delta"), dx.slice(), dims.dModel);
    if (L.keptOut2) absTopKBackward(dm, L.keptOut2, dm.length, be);
    const dA = alloc(n * dims.dMlp);
    linearBackward(be, {
      dy: dm,
      x: L.a,
      w: param(model, `${pre}.mlp.c_proj.weight`),
      n,
      dIn: dims.dMlp,
      dOut: dims.dModel,
      dx: dA,
      dw: g(`${pre}.mlp.c_proj.weight`),
      db: g(`${pre}.mlp.c_proj.bias`),
      ...sparseOf(`${pre}.mlp.c_proj.weight`, dims.dModel, dims.dMlp),
    });
    let dAct = hookBack(h("mlp.post_act"), dA, dims.dMlp);
    if (L.keptNeuron) absTopKBackward(dAct, L.keptNeuron, dAct.length, be);
    const dU = alloc(n * dims.dMlp);
    if (config.activation_type === "gelu") be.geluBackward(L.u, dAct, dU, dU.length);
    else reluBackward(L.u, dAct, dU, dU.length);
    const dH2 = alloc(n * dIn);
    linearBackward(be, {
      dy: dU,
      x: L.actIn2,
      w: param(model, `${pre}.mlp.c_fc.weight`),
      n,
      dIn,
      dOut: dims.dMlp,
      dx: dH2,
      dw: g(`${pre}.mlp.c_fc.weight`),
      db: g(`${pre}.mlp.c_fc.bias`),
      ...sparseOf(`${pre}.mlp.c_fc.weight`, dims.dMlp, dIn),
    });
    dAct = hookBack(h("mlp.act_in"), dH2, dIn);
    if (L.keptIn2) absTopKBackward(dAct, L.keptIn2, dAct.length, be);
    normBack(L.norm2, n, dims.dModel, `${pre}.ln_2`, dAct, dIn, 0, dx);
    if (L.normP2) posBack(L.normP2, `${pre}.ln_p2`, dAct);
    dx = hookBack(h("resid_mid"), dx, dims.dModel);
    // ---- attention sublayer: x1 = act(xIn + topk(c_proj(attn(q, k, v))))
    residBack(L.resid1, dx);
    dm = hookBack(h("attn.resid_delta"), dx.slice(), dims.dModel);
    if (L.keptOut1) absTopKBackward(dm, L.keptOut1, dm.length, be);
    const dY = alloc(n * D);
    linearBackward(be, {
      dy: dm,
      x: L.y,
      w: param(model, `${pre}.attn.c_proj.weight`),
      n,
      dIn: D,
      dOut: dims.dModel,
      dx: dY,
      dw: g(`${pre}.attn.c_proj.weight`),
      db: g(`${pre}.attn.c_proj.bias`),
      ...sparseOf(`${pre}.attn.c_proj.weight`, dims.dModel, D),
    });
    const dYRaw = hookBack(h("attn.y"), dY, D);
    const dQ = alloc(n * D);
    const dK = alloc(n * D);
    const dV = alloc(n * D);
    be.attentionBackward(
      { b, t, nHead: dims.nHead, dHead: dims.dHead },
      dYRaw,
      L.q,
      L.k,
      L.v,
      L.probs,
      L.pSink,
      dQ,
      dK,
      dV,
      g(`${pre}.attn.attn_imp.sink_logit`),
    );
    const dQkv = alloc(n * 3 * D);
    const parts: [string, FloatArray, Uint8Array | undefined, number][] = [
      ["attn.q", dQ, L.keptQ, 0],
      ["attn.k", dK, L.keptK, D],
      ["attn.v", dV, L.keptV, 2 * D],
    ];
    for (const [name, d, kept, offset] of parts) {
      const dd = hookBack(h(name), d, D);
      if (kept) absTopKBackward(dd, kept, dd.length, be);
      be.copyBlock({
        src: dd,
        srcStride: D,
        srcOffset: 0,
        dst: dQkv,
        dstStride: 3 * D,
        dstOffset: offset,
        rows: n,
        width: D,
      });
    }
    const dH1 = alloc(n * dIn);
    linearBackward(be, {
      dy: dQkv,
      x: L.actIn1,
      w: param(model, `${pre}.attn.c_attn.weight`),
      n,
      dIn,
      dOut: 3 * D,
      dx: dH1,
      dw: g(`${pre}.attn.c_attn.weight`),
      db: g(`${pre}.attn.c_attn.bias`),
      ...sparseOf(`${pre}.attn.c_attn.weight`, 3 * D, dIn),
    });
    dAct = hookBack(h("attn.act_in"), dH1, dIn);
    if (L.keptIn1) absTopKBackward(dAct, L.keptIn1, dAct.length, be);
    normBack(L.norm1, n, dims.dModel, `${pre}.ln_1`, dAct, dIn, 0, dx);
    if (L.normP1) posBack(L.normP1, `${pre}.ln_p1`, dAct);
    dx = hookBack(h("resid_in"), dx, dims.dModel);
  }

  // ---- embeddings
  const dWte = g("transformer.wte.weight");
  if (dWte) be.scatterAddRows(dx, ids, dims.dModel, dWte);
  const dWpe = g("transformer.wpe.weight");
  if (dWpe) {
    if (dims.catPosEmb) {
      for (let i = 0; i < dPosTable.length; i++) dWpe[i] += dPosTable[i];
    } else {
      be.scatterAddRows(dx, positionIds(b, t), dims.dModel, dWpe);
    }
  }
  // The caller differentiated these weights to change them (an optimizer step writes them in place
  // next): their sparse forms must be rebuilt from the dense data before the next use.
  for (const name of grads.keys()) invalidateSparseWeight(param(model, name));
  return { grads, hookGrads };
}

/** The position of each row of a [B, T] batch: 0..T-1, B times. */
function positionIds(b: number, t: number): Int32Array {
  const ids = new Int32Array(b * t);
  for (let r = 0; r < ids.length; r++) ids[r] = r % t;
  return ids;
}
