import { join } from "node:path";
import { saveModel } from "../../src/model/checkpoint.js";
import type { Model } from "../../src/model/model.js";
import { writeRandomBridges } from "../helpers/bridges.js";
import { randomModel, testConfig } from "../helpers/models.js";
import { makeViewerFixture, type ViewerFixture } from "./fixture.js";

/** The viewer fixture's model as a bridged sparse model: a dense model beside it and bridges.safetensors. */
export interface BridgedViewerFixture extends ViewerFixture {
  denseDir: string;
  dense: Model;
}

/** Seeded: a narrower dense model (width 4) of the same depth and vocabulary, and random bridges to it. */
export function makeBridgedViewerFixture(seed = 7): BridgedViewerFixture {
  const fx = makeViewerFixture(seed);
  const config = testConfig({
    vocab_size: fx.model.config.vocab_size,
    block_size: 48,
    n_layer: 2,
    n_head: 2,
    d_head: 2,
    d_model: 4,
    d_mlp: 8,
    bias: true,
  });
  const dense = randomModel(config, seed + 10, "f32");
  const denseDir = join(fx.dir, "dense");
  saveModel(denseDir, dense);
  writeRandomBridges(fx.modelDir, fx.model, dense, seed + 20);
  return { ...fx, denseDir, dense };
}
