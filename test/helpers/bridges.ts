import {
  bridgeSites,
  bridgeSpecs,
  bridgesPath,
  writeBridges,
  type Bridges,
} from "../../src/model/bridges_file.js";
import { weightsHash } from "../../src/model/model_hash.js";
import type { Model } from "../../src/model/model.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { randomArray } from "./random.js";

/** Seeded random bridges between two models (entries of size ~scale; not trained, only well-formed). */
export function randomBridges(sparse: Model, dense: Model, seed: number, scale = 0.5): Bridges {
  const { nLayer, dModel: dS } = sparse.dims;
  const dD = dense.dims.dModel;
  const params = new Map<string, Tensor<Float32Array>>();
  bridgeSpecs(nLayer, dS, dD).forEach((s, i) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    params.set(s.name, new Tensor(Float32Array.from(randomArray(n, seed + i, scale)), s.shape));
  });
  return {
    meta: {
      version: 1,
      encoder_afrac: 1,
      sparse: { d_model: dS, n_layer: nLayer },
      dense: { d_model: dD, n_layer: dense.dims.nLayer, weights_sha256: weightsHash(dense) },
    },
    sites: bridgeSites(nLayer),
    params,
  };
}

/** Writes random bridges beside the sparse model in `sparseDir`, as `csp train --bridges` would. */
export function writeRandomBridges(sparseDir: string, sparse: Model, dense: Model, seed: number): Bridges {
  const bridges = randomBridges(sparse, dense, seed);
  writeBridges(bridgesPath(sparseDir), bridges);
  return bridges;
}
