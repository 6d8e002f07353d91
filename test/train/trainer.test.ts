import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { loadPreparedShards, prepareCorpus } from "../../src/data/prepare_corpus.js";
import { unigramEntropy } from "../../src/data/unigram_entropy.js";
import { CspError } from "../../src/errors.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { loadModelWithConfig } from "../../src/model/checkpoint.js";
import { loadTokenizer } from "../../src/tokenizer/tokenizer_files.js";
import { readTrainState } from "../../src/train/checkpoint_state.js";
import { readMetrics } from "../../src/train/metrics.js";
import { parseTrainConfig } from "../../src/train/train_config.js";
import { getPreset } from "../../src/train/presets.js";
import { runTrainRequest, type TrainRequest } from "../../src/train/train_run.js";
import { trainModel } from "../../src/train/trainer.js";
import { makeSyntheticCorpus } from "./synthetic_corpus.js";

let corpus: string;
let work: string;
let cache: string;
let sparseRun: string;
let sparseOutcome: ReturnType<typeof runTrainRequest>;

const base = (out: string, extra: Partial<TrainRequest> = {}): TrainRequest => ({
  corpus: [corpus],
  out,
  cache,
  preset: "tiny",
  valFraction: 0.1,
  ...extra,
});

beforeAll(() => {
  corpus = makeSyntheticCorpus();
  work = mkdtempSync(join(tmpdir(), "csp-train-"));
  cache = join(work, "cache");
  sparseRun = join(work, "sparse");
  sparseOutcome = runTrainRequest(base(sparseRun));
});

describe("csp train (tiny preset, synthetic Python corpus)", () => {
  test("validation loss ends well below the unigram entropy of the validation text", () => {
    const tokenizer = loadTokenizer(join(sparseRun, "tokenizer"));
    const { val } = loadPreparedShards(
      prepareCorpus({ corpus: [corpus], tokenizer, cacheDir: cache, valFraction: 0.1 }),
    );
    const entropy = unigramEntropy(val);
    expect(entropy).toBeGreaterThan(3);
    expect(sparseOutcome.completed).toBe(true);
    expect(sparseOutcome.finalValLoss!).toBeLessThan(0.6 * entropy);
  });

  test("the output directory is a loadable checkpoint that records every hyperparameter", () => {
    const { model, rawConfig } = loadModelWithConfig(sparseRun);
    expect(model.config.n_layer).toBe(2);
    const { config: train } = parseTrainConfig(rawConfig.train, "config.json");
    expect(train.total_steps).toBe(150);
    expect(train.pfrac).toBe(1);
    expect(train.adam_eps).toBe(0.1);
    expect((rawConfig.train as { run: { preset: string } }).run.preset).toBe("tiny");
    // The weight-sparse matrices (1/4 kept) are stored as (indices, values), as saveModel stores them.
    const stored = readSafetensors(join(sparseRun, "model.safetensors"));
    expect(JSON.parse(stored.metadata["sparse:transformer.h.0.mlp.c_fc.weight"])).toEqual([128, 32]);
    expect(stored.tensors.has("transformer.h.0.mlp.c_fc.weight.indices")).toBe(true);
    expect(stored.tensors.has("transformer.h.0.mlp.c_fc.weight")).toBe(false);
    // The exported weights are those of the final state.
    const state = readTrainState(join(sparseRun, "train_state.safetensors"));
    expect(state.progress.nextStep).toBe(151);
    const w = model.params.get("transformer.h.0.mlp.c_fc.weight")!.data;
    expect(Array.from(w)).toEqual(
      Array.from(state.tensors.get("param/transformer.h.0.mlp.c_fc.weight")!.data),
    );
  });

  test("final sparsity: weights keep exactly 1/4 (min-alive 4 per neuron), embeddings 1/2", () => {
    const { model } = loadModelWithConfig(sparseRun);
    const nnz = (name: string) => model.params.get(name)!.data.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0);
    // c_fc [128, 32]: int(0.25·4096) = 1024; wte [V, 32], lm_head: int(0.5·V·32)
    expect(nnz("transformer.h.1.mlp.c_fc.weight")).toBe(1024);
    expect(nnz("transformer.h.0.attn.c_attn.weight")).toBe(768);
    expect(nnz("transformer.h.0.attn.c_proj.weight")).toBe(256);
    const v = model.config.vocab_size;
    expect(nnz("lm_head.weight")).toBe(Math.trunc(0.5 * v * 32));
    // biases stay dense (train.py behaviour), the bigram table is never pruned
    expect(nnz("transformer.h.0.mlp.c_fc.bias")).toBe(128);
    expect(nnz("bigram_table")).toBe(v * v);
    // min-alive: every c_fc row (neuron) and every mlp c_proj column keeps ≥ 4 weights
    const fc = model.params.get("transformer.h.0.mlp.c_fc.weight")!.data;
    for (let r = 0; r < 128; r++)
      expect(fc.subarray(r * 32, r * 32 + 32).filter((x) => x !== 0).length).toBeGreaterThanOrEqual(4);
    const proj = model.params.get("transformer.h.0.mlp.c_proj.weight")!.data;
    for (let c = 0; c < 128; c++) {
      let alive = 0;
      for (let r = 0; r < 32; r++) if (proj[r * 128 + c] !== 0) alive++;
      expect(alive).toBeGreaterThanOrEqual(4);
    }
  });

  test("metrics.jsonl has one record per step and the curve is an SVG", () => {
    const metrics = readMetrics(join(sparseRun, "metrics.jsonl"));
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 151 }, (_, i) => i));
    expect(metrics[0].lr).toBe(0);
    expect(metrics.filter((m) => m.val_loss !== undefined).map((m) => m.step)).toEqual([49, 99, 149, 150]);
    const svg = readFileSync(join(sparseRun, "training_curve.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("validation loss");
  });

  test("an interrupted run resumes to bit-identical weights", () => {
    const reference = join(work, "ref");
    const interrupted = join(work, "interrupted");
    const req = (out: string) =>
      base(out, { steps: "60", checkpointEvery: "20", tokenizer: join(sparseRun, "tokenizer") });
    runTrainRequest(req(reference));
    const first = runTrainRequest({ ...req(interrupted), stopAfterSteps: 33 });
    expect(first.completed).toBe(false);
    // steps 20..32 were lost with the "crash"; the state says step 20
    expect(readTrainState(join(interrupted, "train_state.safetensors")).progress.nextStep).toBe(20);
    const second = runTrainRequest(req(interrupted));
    expect(second.startStep).toBe(20);
    expect(second.stepsRun).toBe(41);
    const bytes = (dir: string) => readFileSync(join(dir, "model.safetensors"));
    expect(bytes(interrupted).equals(bytes(reference))).toBe(true);
    // Adam's moments too (the metadata differs: elapsed time)
    const state = (dir: string) => readTrainState(join(dir, "train_state.safetensors"));
    const [a, b] = [state(interrupted), state(reference)];
    expect([...a.tensors.keys()]).toEqual([...b.tensors.keys()]);
    for (const [key, t] of a.tensors)
      expect(Buffer.from(t.data.buffer).equals(Buffer.from(b.tensors.get(key)!.data.buffer)), key).toBe(true);
    expect(a.progress.loader).toEqual(b.progress.loader);
    expect(readMetrics(join(interrupted, "metrics.jsonl")).map((m) => m.step)).toEqual(
      Array.from({ length: 61 }, (_, i) => i),
    );
    // A completed run re-run is a no-op that leaves the weights alone.
    const again = runTrainRequest(req(interrupted));
    expect(again.stepsRun).toBe(0);
    expect(bytes(interrupted).equals(bytes(reference))).toBe(true);
  });

  test("--dense trains the same engine without any pruning", () => {
    const out = join(work, "dense");
    const outcome = runTrainRequest(
      base(out, { dense: true, steps: "60", tokenizer: join(sparseRun, "tokenizer") }),
    );
    const { model, rawConfig } = loadModelWithConfig(out);
    expect((rawConfig.train as { pfrac: unknown }).pfrac).toBeNull();
    const w = model.params.get("transformer.h.0.mlp.c_fc.weight")!.data;
    expect(w.every((x) => x !== 0)).toBe(true);
    expect(outcome.metrics.at(-1)!.prunable).toBe(0);
    expect(outcome.metrics.at(-1)!.loss).toBeLessThan(outcome.metrics[0].loss - 1);
  });
});

describe("trainModel without annealing", () => {
  test("projects to the final budget before step 0, as train.py does", () => {
    const tokenizer = loadTokenizer(join(sparseRun, "tokenizer"));
    const { train, val } = loadPreparedShards(
      prepareCorpus({ corpus: [corpus], tokenizer, cacheDir: cache, valFraction: 0.1 }),
    );
    const preset = getPreset("tiny");
    const run = (anneal: boolean) =>
      trainModel({
        outDir: join(work, `anneal-${anneal}`),
        model: { ...preset.model, vocab_size: tokenizer.vocabSize },
        train: { ...preset.train, total_steps: 3, pfrac_anneal: anneal, eval_every: 0 },
        tokenizer,
        data: { train, val, identity: { test: true } },
      }).metrics;
    const annealed = run(true);
    const pruned = run(false);
    // Step 0 saw the same batch: a different loss means it saw different (pre-pruned) weights.
    expect(pruned[0].loss).not.toBe(annealed[0].loss);
    // dense at P0, except wpe's last row: zero-initialised, and no target ever trains that position
    expect(annealed[0].nonzero).toBe(annealed[0].prunable - 32);
    // From the first step on: per layer c_attn 768 + attn c_proj 256 + c_fc 1024 + mlp c_proj 1024
    // (a quarter of each), wpe [32, 32] a quarter = 256, wte and lm_head half of V·32 each.
    const v = tokenizer.vocabSize;
    expect(pruned[0].nonzero).toBe(2 * (768 + 256 + 1024 + 1024) + 256 + 2 * Math.trunc(0.5 * v * 32));
  });
});

describe("csp train refuses bad input with one-line errors", () => {
  const expectCsp = (fn: () => unknown, pattern: RegExp) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CspError);
    expect((err as Error).message).toMatch(pattern);
    expect((err as Error).message).not.toContain("\n");
  };

  test("missing corpus path", () => {
    expectCsp(
      () => runTrainRequest(base(join(work, "x1"), { corpus: [join(work, "nope")] })),
      /nope.*not found/,
    );
    expect(existsSync(join(work, "x1"))).toBe(false);
  });

  test("corpus without Python files", () => {
    const empty = join(work, "empty-corpus");
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, "notes.txt"), "hello");
    expectCsp(() => runTrainRequest(base(join(work, "x2"), { corpus: [empty] })), /no \.py files/);
    expect(existsSync(join(work, "x2"))).toBe(false);
  });

  test("contradictory flags", () => {
    expectCsp(
      () => runTrainRequest(base(join(work, "x3"), { dense: true, pfrac: "0.5" })),
      /--dense and --pfrac/,
    );
    expectCsp(
      () => runTrainRequest(base(join(work, "x3"), { dense: true, sparseBiases: true })),
      /--dense and --sparse-biases/,
    );
    expectCsp(
      () =>
        runTrainRequest(
          base(join(work, "x3"), { vocabSize: "300", tokenizer: join(sparseRun, "tokenizer") }),
        ),
      /--vocab-size and --tokenizer/,
    );
    expectCsp(
      () => runTrainRequest(base(join(work, "x3"), { steps: "ten" })),
      /--steps: expected an integer ≥ 1/,
    );
    expectCsp(() => runTrainRequest(base(join(work, "x3"), { preset: "huge" })), /unknown preset "huge"/);
    expectCsp(() => runTrainRequest(base(join(work, "x3"), { pfrac: "0.1" })), /min-alive needs/);
    expect(existsSync(join(work, "x3"))).toBe(false);
  });

  test("resuming with other settings or another tokenizer", () => {
    expectCsp(() => runTrainRequest(base(sparseRun, { lr: "0.02" })), /other settings.*train\.lr/);
    runTrainRequest(base(join(work, "other-run"), { steps: "2", vocabSize: "300" }));
    expectCsp(
      () => runTrainRequest(base(sparseRun, { tokenizer: join(work, "other-run", "tokenizer") })),
      /tokenizer differs/,
    );
  });

  test("an output directory with unrelated files", () => {
    const dir = join(work, "occupied");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "thesis.tex"), "x");
    expectCsp(() => runTrainRequest(base(dir, { tokenizer: join(sparseRun, "tokenizer") })), /not empty/);
    expect(readFileSync(join(dir, "thesis.tex"), "utf8")).toBe("x");
  });
});
