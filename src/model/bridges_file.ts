import { existsSync } from "node:fs";
import { join } from "node:path";
import { CspError } from "../errors.js";
import { readSafetensors, writeSafetensors, type TensorMap } from "../io/safetensors.js";
import { Tensor, type FloatArray } from "../tensor/tensor.js";
import type { Sublayer } from "./hook_points.js";
import type { Model } from "./model.js";

/**
 * bridges.safetensors: the bridges of a bridged sparse model (paper §2.3), stored beside its
 * model.safetensors. One bridge per sublayer input (before each attention and each MLP), named
 * `bridges.{layer}.{attn|mlp}.{encoder|decoder}.{weight|bias}`:
 *   encoder.weight [d_sparse, d_dense], encoder.bias [d_sparse]: f(h_dense) = AbsTopK(h_dense·Wᵀ + b)
 *   decoder.weight [d_dense, d_sparse], decoder.bias [d_dense]:  g(h_sparse) = h_sparse·Wᵀ + b
 * (PyTorch nn.Linear layout). Both act on the residual stream before the sublayer's RMSNorm: the
 * hook `{layer}.resid_in` for attn, `{layer}.resid_mid` for mlp. The metadata key `csp_bridges` holds
 * JSON {@link BridgesMeta}: the shapes of both models and the dense model's weights hash, checked on load.
 * (The reference's final_bridges.pt format is unpublished: spec "Open questions".)
 */
export const BRIDGES_FILE = "bridges.safetensors";
const META_KEY = "csp_bridges";
const FORMAT_VERSION = 1;

/** One bridged sublayer input. */
export interface BridgeSite {
  layer: number;
  sublayer: Sublayer;
}

/** What a bridges file records about the models it joins. */
export interface BridgesMeta {
  version: number;
  /** Kept fraction of the encoder's AbsTopK (1 = no top-k). */
  encoder_afrac: number;
  sparse: { d_model: number; n_layer: number };
  dense: { d_model: number; n_layer: number; weights_sha256: string; dir?: string };
  /** The loss terms of the last training step (informative). */
  last_terms?: Record<string, number>;
}

/** The bridges of a model pair: parameters by name, in site order. */
export interface Bridges<A extends FloatArray = Float32Array> {
  meta: BridgesMeta;
  sites: BridgeSite[];
  params: Map<string, Tensor<A>>;
}

/** The hook name of the residual a bridge site reads and writes. */
export function bridgeResidualHook(site: BridgeSite): string {
  return `${site.layer}.${site.sublayer === "attn" ? "resid_in" : "resid_mid"}`;
}

/** Every site of an n-layer pair, in forward order: 0.attn, 0.mlp, 1.attn, ... */
export function bridgeSites(nLayer: number): BridgeSite[] {
  const sites: BridgeSite[] = [];
  for (let layer = 0; layer < nLayer; layer++)
    for (const s of ["attn", "mlp"] as const) sites.push({ layer, sublayer: s });
  return sites;
}

export function bridgeParamName(
  site: BridgeSite,
  part: "encoder" | "decoder",
  kind: "weight" | "bias",
): string {
  return `bridges.${site.layer}.${site.sublayer}.${part}.${kind}`;
}

/** Every tensor name and shape of the bridges between a sparse model of width dS and a dense one of width dD. */
export function bridgeSpecs(nLayer: number, dS: number, dD: number): { name: string; shape: number[] }[] {
  const specs: { name: string; shape: number[] }[] = [];
  for (const site of bridgeSites(nLayer)) {
    specs.push({ name: bridgeParamName(site, "encoder", "weight"), shape: [dS, dD] });
    specs.push({ name: bridgeParamName(site, "encoder", "bias"), shape: [dS] });
    specs.push({ name: bridgeParamName(site, "decoder", "weight"), shape: [dD, dS] });
    specs.push({ name: bridgeParamName(site, "decoder", "bias"), shape: [dD] });
  }
  return specs;
}

export function writeBridges(path: string, bridges: Bridges): void {
  const tensors: TensorMap = new Map();
  for (const [name, t] of bridges.params)
    tensors.set(name, { dtype: "F32", shape: [...t.shape], data: t.data });
  writeSafetensors(path, tensors, { [META_KEY]: JSON.stringify(bridges.meta) });
}

/** Reads `path` and checks it against the two models: every mismatch is a one-line CspError naming the file. */
export function readBridges(path: string, sparse: Model, dense: Model, denseWeightsHash?: string): Bridges {
  if (!existsSync(path)) throw new CspError(`${path}: missing (train with csp train --bridges DENSE_DIR)`);
  const { tensors, metadata } = readSafetensors(path);
  const raw = metadata[META_KEY];
  if (raw === undefined) throw new CspError(`${path}: not a csp bridges file (no ${META_KEY} metadata)`);
  let meta: BridgesMeta;
  try {
    meta = JSON.parse(raw) as BridgesMeta;
  } catch {
    throw new CspError(`${path}: bridges metadata is not valid JSON`);
  }
  if (meta.version !== FORMAT_VERSION)
    throw new CspError(
      `${path}: bridges format ${meta.version} is not supported (expected ${FORMAT_VERSION})`,
    );
  checkWidths(path, "sparse", meta.sparse, sparse);
  checkWidths(path, "dense", meta.dense, dense);
  if (denseWeightsHash !== undefined && denseWeightsHash !== meta.dense.weights_sha256) {
    throw new CspError(
      `${path}: the bridges were trained against other dense weights (sha256 ${meta.dense.weights_sha256.slice(0, 12)}, the dense model given has ${denseWeightsHash.slice(0, 12)})`,
    );
  }
  const params = new Map<string, Tensor<Float32Array>>();
  for (const spec of bridgeSpecs(sparse.dims.nLayer, sparse.dims.dModel, dense.dims.dModel)) {
    const t = tensors.get(spec.name);
    if (!t || t.shape.join(",") !== spec.shape.join(","))
      throw new CspError(
        `${path}: tensor "${spec.name}" is missing or not of shape [${spec.shape.join(", ")}]`,
      );
    params.set(spec.name, new Tensor(Float32Array.from(t.data), spec.shape));
  }
  return { meta, sites: bridgeSites(sparse.dims.nLayer), params };
}

function checkWidths(
  path: string,
  role: string,
  stored: { d_model: number; n_layer: number },
  model: Model,
): void {
  const { dModel, nLayer } = model.dims;
  if (stored.d_model !== dModel || stored.n_layer !== nLayer) {
    throw new CspError(
      `${path}: bridges join a ${role} model of ${stored.n_layer} layers × width ${stored.d_model}, the ${role} model given has ${nLayer} × ${dModel}`,
    );
  }
}

/** The bridges file of a model directory. */
export function bridgesPath(modelDir: string): string {
  return join(modelDir, BRIDGES_FILE);
}
