import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { readSafetensors } from "../../../src/io/safetensors.js";
import { bridgesPath, readBridges } from "../../../src/model/bridges_file.js";
import { trainCommand } from "../../../src/cli/commands/train.js";
import { loadModel, saveModel } from "../../../src/model/checkpoint.js";
import { weightsHash } from "../../../src/model/model_hash.js";
import { bridgedExtension, type BridgeFlags } from "../../../src/train/bridges/bridge_flags.js";
import { runTrainRequest, type TrainRequest } from "../../../src/train/train_run.js";
import { makeSyntheticCorpus } from "../synthetic_corpus.js";
import { randomModel } from "../../helpers/models.js";

let corpus: string;
let work: string;
let denseDir: string;

const request = (out: string, bridges: BridgeFlags, extra: Partial<TrainRequest> = {}): TrainRequest => ({
  corpus: [corpus],
  out,
  cache: join(work, "cache"),
  preset: "tiny",
  steps: "6",
  checkpointEvery: "3",
  evalEvery: "0",
  valFraction: 0.1,
  tokenizer: join(denseDir, "tokenizer"),
  extension: bridgedExtension(bridges),
  ...extra,
});

beforeAll(() => {
  corpus = makeSyntheticCorpus({ files: 30, seed: 3 });
  work = mkdtempSync(join(tmpdir(), "csp-bridged-"));
  denseDir = join(work, "dense");
  runTrainRequest({
    corpus: [corpus],
    out: denseDir,
    cache: join(work, "cache"),
    preset: "tiny",
    dense: true,
    steps: "20",
    evalEvery: "0",
    valFraction: 0.1,
  });
});

describe("csp train --bridges (tiny preset)", () => {
  test("writes bridges.safetensors that load against both models; an interrupted run resumes bit-identically", () => {
    const whole = join(work, "whole");
    runTrainRequest(request(whole, { bridges: denseDir }));
    const sparse = loadModel(whole);
    const dense = loadModel(denseDir);
    const bridges = readBridges(bridgesPath(whole), sparse, dense, weightsHash(dense));
    expect(bridges.params.size).toBe(4 * 2 * sparse.dims.nLayer);
    expect(bridges.meta.dense.d_model).toBe(dense.dims.dModel);

    const split = join(work, "split");
    const first = runTrainRequest(request(split, { bridges: denseDir }, { stopAfterSteps: 4 }));
    expect(first.completed).toBe(false);
    const rest = runTrainRequest(request(split, { bridges: denseDir }));
    expect(rest.startStep).toBe(3);
    for (const file of ["model.safetensors", "bridges.safetensors"])
      expect(readFileSync(join(split, file)).equals(readFileSync(join(whole, file)))).toBe(true);
    // The frozen dense model is untouched.
    expect(weightsHash(loadModel(denseDir))).toBe(bridges.meta.dense.weights_sha256);
  });

  test("--train-dense trains the dense model too and exports it beside the sparse one", () => {
    const out = join(work, "both");
    runTrainRequest(
      request(out, { bridges: denseDir, trainDense: true, bridgeKlSites: "4" }, { steps: "2" }),
    );
    const trained = loadModel(join(out, "dense"));
    expect(weightsHash(trained)).not.toBe(weightsHash(loadModel(denseDir)));
    const meta = readSafetensors(bridgesPath(out)).metadata.csp_bridges;
    expect(JSON.parse(meta).dense.weights_sha256).toBe(weightsHash(trained));
    expect(existsSync(join(out, "dense", "tokenizer"))).toBe(true);
  });

  test("bad input: a resumed run with other bridge settings, a dense model with a shorter context, stray flags", () => {
    const whole = join(work, "whole");
    expect(() => runTrainRequest(request(whole, { bridges: denseDir, bridgeKlWeight: "2" }))).toThrow(
      /other settings, first difference at extension\.kl_weight/,
    );
    expect(() =>
      runTrainRequest(request(join(work, "deep"), { bridges: denseDir }, { preset: "small" })),
    ).toThrow(/dense model's block_size \d+ is below the run's n_ctx \d+/);
    expect(() => bridgedExtension({ trainDense: true })).toThrow(
      /--train-dense: only applies with --bridges/,
    );
    expect(() => bridgedExtension({ bridges: denseDir, bridgeKlSites: "0" })).toThrow(/--bridge-kl-sites/);
  });
});

describe("csp train --bridges: depth check and final summary", () => {
  test("a dense model of another depth is refused in one line naming it", () => {
    const dense = loadModel(denseDir);
    const shallowDir = join(work, "shallow");
    saveModel(shallowDir, randomModel({ ...dense.config, n_layer: dense.config.n_layer + 1 }, 5, "f32"));
    let error: Error | undefined;
    try {
      runTrainRequest(request(join(work, "deep-pair"), { bridges: shallowDir }));
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toBe(
      `${shallowDir}: dense model has ${dense.config.n_layer + 1} layers, the sparse model ${dense.config.n_layer}; bridges join sublayers one to one`,
    );
  });

  test("the one-line JSON summary carries the last step's bridge loss terms", () => {
    // The finished run of the first test: this session has nothing left to run, the terms come from its file.
    const out = join(work, "whole");
    const line = trainCommand({
      corpus: [corpus],
      out,
      cache: join(work, "cache"),
      preset: "tiny",
      steps: "6",
      checkpointEvery: "3",
      evalEvery: "0",
      valFraction: "0.1",
      tokenizer: join(denseDir, "tokenizer"),
      progress: false,
      bridges: denseDir,
    });
    const summary = JSON.parse(line) as { train_loss: number; bridge_terms: Record<string, number> };
    const t = summary.bridge_terms;
    expect(Object.keys(t).sort()).toEqual(
      ["ce", "kl_dense_hybrid", "kl_sparse_hybrid", "nmse_decoder", "nmse_encoder", "total"].sort(),
    );
    // The sparse cross-entropy is the loss metrics.jsonl logs; the total is the sum of the terms (weights 1).
    expect(t.ce).toBeCloseTo(summary.train_loss, 5);
    expect(t.total).toBeCloseTo(
      t.ce + t.nmse_encoder + t.nmse_decoder + t.kl_sparse_hybrid + t.kl_dense_hybrid,
      5,
    );
    for (const v of Object.values(t)) expect(v).toBeGreaterThan(0);
    // Without --bridges there is no such field.
    expect(JSON.parse(trainCommand({ ...plain(), out: denseDir }))).not.toHaveProperty("bridge_terms");
  });
});

/** The flags that trained the dense model of beforeAll (resuming it runs nothing). */
function plain() {
  return {
    corpus: [corpus],
    out: denseDir,
    cache: join(work, "cache"),
    preset: "tiny",
    dense: true,
    steps: "20",
    evalEvery: "0",
    valFraction: "0.1",
    progress: false,
  };
}
