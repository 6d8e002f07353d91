import { CspError } from "../errors.js";
import { bridgeParamName, type Bridges } from "../model/bridges_file.js";
import { forward } from "../model/gpt.js";
import { hookMatcher, type Intervention } from "../model/hooks.js";
import { param, type Model } from "../model/model.js";
import { Tensor } from "../tensor/tensor.js";

/**
 * Steering a dense model through a bridge (paper §2.3, Fig. 9): the counterfactual change of one
 * sparse-model node is carried by the bridge's decoder into the dense model and added, times a
 * strength, to the dense model's read of the same sublayer. docs/bridges.md has the derivation.
 */

/** A bridged node: channel `index` of the sublayer input `{layer}.{sublayer}.act_in`. */
export interface BridgedNode {
  layer: number;
  sublayer: "attn" | "mlp";
  index: number;
}

const NODE_PATTERN = /^(\d+)\.(attn|mlp)\.act_in:(\d+)$/;

export function nodeName(n: BridgedNode): string {
  return `${n.layer}.${n.sublayer}.act_in:${n.index}`;
}

/** Parses SITE:INDEX and checks that the node is bridged in a model of this depth and width. */
export function parseBridgedNode(text: string, sparse: Model): BridgedNode {
  if (!/^[\w.]+:\d+$/.test(text))
    throw new CspError(`--node: expected SITE:INDEX such as 1.attn.act_in:5, got "${text}"`);
  const m = NODE_PATTERN.exec(text);
  if (!m)
    throw new CspError(
      `--node ${text}: not bridged; bridges carry the sublayer inputs {layer}.attn.act_in and {layer}.mlp.act_in`,
    );
  const node: BridgedNode = { layer: Number(m[1]), sublayer: m[2] as "attn" | "mlp", index: Number(m[3]) };
  const { nLayer, dModel } = sparse.dims;
  if (node.layer >= nLayer)
    throw new CspError(`--node ${text}: layer ${node.layer} does not exist (the sparse model has ${nLayer})`);
  if (node.index >= dModel)
    throw new CspError(
      `--node ${text}: channel ${node.index} is not bridged (bridges carry the ${dModel} residual channels)`,
    );
  return node;
}

/** One steered example: a prompt, what its node is moved to, and the candidate tokens to read out. */
export interface SteerExample {
  prompt: Int32Array;
  /** Same length as the prompt: the node's activation there is the target. */
  counterfactual?: Int32Array;
  /** Instead of a counterfactual: the target activation at every position. */
  value?: number;
  candidates: number[];
}

export interface SteerOptions {
  sparse: Model;
  dense: Model;
  bridges: Bridges;
  node: BridgedNode;
  examples: SteerExample[];
  strengths: number[];
}

/** Probabilities of each example's candidates at its last position, per strength. */
export interface SteerResult {
  node: string;
  strengths: number[];
  /** [strength][example][candidate]: the steered dense model. */
  dense: number[][][];
  /** [strength][example][candidate]: the sparse model with the node itself moved by the same fraction. */
  sparse: number[][][];
  /** Per example: mean |δ| of the node over positions (0: the counterfactual does not move it). */
  meanAbsDelta: number[];
}

const rmsEps = 1.1920929e-7;

/** Per-row RMS of x [rows, width], as RMSNorm computes it (fp32 machine epsilon). */
function rowRms(x: Float32Array | Float64Array, width: number): Float64Array {
  const rows = x.length / width;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < width; c++) s += x[r * width + c] ** 2;
    out[r] = Math.sqrt(s / width + rmsEps);
  }
  return out;
}

/**
 * The dense-side direction of the node: decoder column c, scaled into the dense model's normalised read.
 * A change δ of the sparse node (a post-RMSNorm read, gain γ_s[c]) is a change δ·rms_s/γ_s[c] of the
 * sparse residual channel c; the decoder maps it to W_dec[:, c]·δ·rms_s/γ_s[c] in the dense residual,
 * which moves the dense read (gain γ_d) by γ_d ⊙ W_dec[:, c] · δ · (rms_s / rms_d) / γ_s[c] to first
 * order: the bridge weights scaled by the ratio of the RMS residual norms.
 */
function denseDirection(o: SteerOptions): Float64Array {
  const { sparse, dense, bridges, node } = o;
  if (!sparse.config.rms_norm || !dense.config.rms_norm)
    throw new CspError("steering through bridges needs RMSNorm models (rms_norm: true)");
  const norm = node.sublayer === "attn" ? "ln_1" : "ln_2";
  const gS = param(sparse, `transformer.h.${node.layer}.${norm}.weight`)[node.index];
  if (Math.abs(gS) < 1e-8)
    throw new CspError(
      `--node ${nodeName(node)}: its RMSNorm gain is 0, so the node carries nothing to steer`,
    );
  const gD = param(dense, `transformer.h.${node.layer}.${norm}.weight`);
  const w = bridges.params.get(bridgeParamName(node, "decoder", "weight"))!.data; // [Dd, Ds]
  const dS = sparse.dims.dModel;
  const dir = new Float64Array(dense.dims.dModel);
  for (let j = 0; j < dir.length; j++) dir[j] = (gD[j] * w[j * dS + node.index]) / gS;
  return dir;
}

function lastPositionProbs(
  logits: Float32Array | Float64Array,
  t: number,
  v: number,
  ids: number[],
): number[] {
  const off = (t - 1) * v;
  let max = -Infinity;
  for (let j = 0; j < v; j++) max = Math.max(max, logits[off + j]);
  let sum = 0;
  for (let j = 0; j < v; j++) sum += Math.exp(logits[off + j] - max);
  return ids.map((id) => Math.exp(logits[off + id] - max) / sum);
}

/** Adds, at every position t, scale[t]·strength·direction to the activation (width = direction.length). */
function addAlong(direction: Float64Array, scale: Float64Array, strength: number, offset = 0): Intervention {
  return {
    forward(x: Tensor) {
      const out = x.clone();
      const w = x.width;
      for (let r = 0; r < scale.length; r++)
        for (let j = 0; j < direction.length; j++)
          out.data[r * w + offset + j] += strength * scale[r] * direction[j];
      return out;
    },
  };
}

/** Steers the dense model (and, as a reference, the sparse model itself) at every strength. */
export function steer(o: SteerOptions): SteerResult {
  const { sparse, dense, node } = o;
  const hookAct = `${node.layer}.${node.sublayer}.act_in`;
  const hookResid = `${node.layer}.${node.sublayer === "attn" ? "resid_in" : "resid_mid"}`;
  const record = hookMatcher(`${hookAct.replace(/\./g, "\\.")}$|${hookResid.replace(/\./g, "\\.")}$`);
  const dir = denseDirection(o);
  const V = dense.dims.vocab;
  const result: SteerResult = {
    node: nodeName(node),
    strengths: o.strengths,
    dense: o.strengths.map(() => []),
    sparse: o.strengths.map(() => []),
    meanAbsDelta: [],
  };
  for (const ex of o.examples) {
    const t = ex.prompt.length;
    if (ex.counterfactual && ex.counterfactual.length !== t)
      throw new CspError(
        `the counterfactual has ${ex.counterfactual.length} tokens, the prompt ${t}: steering needs aligned positions`,
      );
    const sRun = forward(sparse, ex.prompt, 1, t, { record });
    const act = sRun.hooks.get(hookAct)!;
    const dIn = act.width;
    const delta = new Float64Array(t);
    const cf = ex.counterfactual
      ? forward(sparse, ex.counterfactual, 1, t, { record }).hooks.get(hookAct)!
      : undefined;
    for (let r = 0; r < t; r++) {
      const target = cf ? cf.data[r * dIn + node.index] : ex.value!;
      delta[r] = target - act.data[r * dIn + node.index];
    }
    result.meanAbsDelta.push(delta.reduce((s, d) => s + Math.abs(d), 0) / t);
    const rmsS = rowRms(sRun.hooks.get(hookResid)!.data, sparse.dims.dModel);
    const dRun = forward(dense, ex.prompt, 1, t, { record });
    const rmsD = rowRms(dRun.hooks.get(hookResid)!.data, dense.dims.dModel);
    const denseScale = delta.map((d, r) => (d * rmsS[r]) / rmsD[r]);
    const unit = new Float64Array(node.index + 1);
    unit[node.index] = 1;
    o.strengths.forEach((s, si) => {
      const dl = forward(dense, ex.prompt, 1, t, {
        interventions: new Map([[hookAct, addAlong(dir, denseScale, s)]]),
      });
      result.dense[si].push(lastPositionProbs(dl.logits.data, t, V, ex.candidates));
      const sl = forward(sparse, ex.prompt, 1, t, {
        interventions: new Map([[hookAct, addAlong(unit, delta, s)]]),
      });
      result.sparse[si].push(lastPositionProbs(sl.logits.data, t, V, ex.candidates));
    });
  }
  return result;
}

/** Mean over examples of one candidate column (e.g. the counterfactual's answer), per strength. */
export function meanProbability(perStrength: number[][][], candidate: number): number[] {
  return perStrength.map((rows) => rows.reduce((s, r) => s + r[candidate], 0) / Math.max(1, rows.length));
}
