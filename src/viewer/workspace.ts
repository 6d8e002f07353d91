import { resolve } from "node:path";
import { findCircuitModel, findCircuitTask, type ModelCache } from "../circuit/circuit_model.js";
import { calibrationFromRecord } from "../circuit/calibrate.js";
import type { CircuitFile } from "../circuit/format.js";
import { checkCircuitFits, circuitMask, readCircuit } from "../circuit/read.js";
import { mixSeed } from "../random/seed.js";
import { CspError } from "../errors.js";
import { loadModel } from "../model/checkpoint.js";
import type { Model } from "../model/model.js";
import { spreadWindows } from "../circuit/means.js";
import { nodeLayout, type NodeLayout } from "../circuit/nodes.js";
import { spreadIndices } from "../circuit/task_data.js";
import { setupPrune, type PruneSetup } from "../circuit/setup.js";
import { findTokenizerDir } from "../model/model_tokenizer.js";
import type { TaskSequence } from "../circuit/task_data.js";
import type { Calibration } from "../circuit/task_loss.js";
import { loadTokenizer } from "../tokenizer/tokenizer_files.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import type { CircuitEntry, Headline, ModelInfo, SessionInfo } from "./api_types.js";
import { readSampleTokens, type Windows } from "./samples.js";
import { circuitLosses, headline, headlineSequences } from "./headline.js";
import { steerInfo } from "./steer_info.js";

/** What `csp view` was pointed at. Only these files are ever read. */
export interface ViewerOptions {
  /** Circuit files written by `csp prune`. */
  circuits: readonly string[];
  /** Model directory; default: each circuit's model.path. */
  model?: string;
  /** Task JSONL; default: each circuit's task.path. */
  task?: string;
  /** Tokenizer directory; default: found next to the model (as csp prune does). */
  tokenizer?: string;
  /** Token shard (uint16) for pretraining snippets. */
  shard?: string;
  /** Corpus files or directories for pretraining snippets (used when no shard is given). */
  corpus?: readonly string[];
  /** Number of pretraining windows (default 64) and their length (default min(64, block_size)). */
  windows?: number;
  windowLength?: number;
  /** A `csp study` output directory shown on the study page. */
  study?: string;
  /** A trajectory.json (`csp trajectory`) shown on the trajectory page. */
  trajectory?: string;
  /** The dense model the (bridged) model's bridges join: enables steering (docs/bridges.md). */
  dense?: string;
}

/** What live evaluation of one circuit needs: the pruning setup, the evaluation pairs, calibration. */
export interface LiveEnv {
  setup: PruneSetup;
  /** The sequences (A, B of each pair) the circuit file's losses were measured on. */
  evalSeqs: TaskSequence[];
  /** The headline's split ("test" when the task has one) and sequences (viewer/headline.ts). */
  split: string;
  seqs: TaskSequence[];
  /** The full model's loss on `seqs` (it does not depend on edits). */
  lossFull: number;
  calibration: Calibration;
  /** Seed of resample-ablation draws, as pruning used it. */
  draw: number;
}

interface LoadedCircuit {
  entry: CircuitEntry;
  file?: CircuitFile;
  modelDir?: string;
  live?: LiveEnv;
}

/** A value or the one-line reason it is missing. */
type Maybe<T> = { value: T; error?: undefined } | { value?: undefined; error: string };

function attempt<T>(f: () => T): Maybe<T> {
  try {
    return { value: f() };
  } catch (e) {
    if (e instanceof CspError) return { error: e.message.split("\n")[0] };
    throw e;
  }
}

/** The unedited circuit's headline numbers, computed once at start (the selector shows them). */
function uneditedHeadline(live: LiveEnv, file: CircuitFile, layout: NodeLayout) {
  const losses = circuitLosses({ ...live, ctx: live.setup.ctx, mask: circuitMask(file, layout) });
  return headline({
    split: live.split,
    pairs: live.seqs.length / 2,
    losses,
    lossFull: live.lossFull,
    targetLoss: file.target_loss,
  });
}

/**
 * What only a Workspace that evaluates knows, for the request thread's Workspace (which does not):
 * each circuit's unedited headline or why it cannot be evaluated, and the pretraining snippets' source.
 */
export interface EvaluatedStatus {
  circuits: { headline?: Headline; liveError?: string }[];
  samples?: string;
  samplesError?: string;
}

/**
 * Everything the viewer serves, loaded once at start. A file that cannot be used is recorded with its
 * one-line problem instead of stopping the server: the page shows it.
 *
 * With `evaluate: false` (the server's request thread) it reads the circuit files, finds and loads the
 * model (the embedding route and the circuit checks read it) and the tokenizer, and stops there: no task,
 * means, pretraining windows or losses. The compute worker's Workspace (the default, `evaluate: true`)
 * computes those once, and the request thread takes the numbers it shows from `evaluatedStatus()` through
 * `applyEvaluatedStatus`.
 */
export class Workspace {
  readonly circuits: LoadedCircuit[] = [];
  /** The model drawn (the first circuit's); others must have the same shape. */
  readonly model: Maybe<{ model: Model; dir: string; layout: NodeLayout }>;
  readonly tokenizer?: Tokenizer;
  readonly windows?: Maybe<Windows>;
  readonly samplesLabel?: string;
  private readonly setups = new Map<string, Maybe<PruneSetup>>();
  private readonly fullLosses = new Map<string, number>();
  /** The snippet source as the evaluating Workspace reported it (request thread only). */
  private reportedSamples?: { samples?: string; samplesError?: string };

  constructor(
    readonly options: ViewerOptions,
    { evaluate = true }: { evaluate?: boolean } = {},
  ) {
    const models: ModelCache = new Map();
    for (const [id, file] of options.circuits.entries()) {
      const r = attempt(() => readCircuit(file));
      const c: LoadedCircuit = { entry: { id, file, error: r.error }, file: r.value };
      if (r.value) {
        const found = attempt(() =>
          findCircuitModel(r.value!, file, { override: options.model, cache: models }),
        );
        c.modelDir = found.value?.dir;
        if (found.error) [c.entry.error, c.file] = [found.error, undefined];
      }
      this.circuits.push(c);
    }
    const first = this.circuits.find((c) => c.file);
    const modelDir = options.model ?? first?.modelDir;
    this.model = modelDir
      ? attempt(() => {
          const model = models.get(resolve(modelDir))?.model ?? loadModel(modelDir);
          return { model, dir: modelDir, layout: nodeLayout(model.dims) };
        })
      : { error: "no model: pass --model DIR or a circuit file whose model.path exists" };
    const m = this.model.value;
    const tok = attempt(() =>
      m || options.tokenizer ? loadTokenizer(findTokenizerDir(m?.dir ?? "", options.tokenizer)) : undefined,
    );
    this.tokenizer = tok.value;

    for (const c of this.circuits) {
      if (!c.file) continue;
      if (!m) {
        c.entry.error = this.model.error;
        continue;
      }
      const fits = attempt(() => checkCircuitFits(c.file!, m.model, m.layout, c.entry.file));
      if (fits.error) {
        c.entry.error = fits.error;
        c.file = undefined;
        continue;
      }
      c.entry.nodes = c.file.num_nodes;
      c.entry.edges = c.file.num_edges;
      c.entry.lossCalibrated = c.file.loss_calibrated;
      c.entry.taskName = c.file.task.name;
      c.entry.wholeModel = c.file.num_nodes >= c.file.total_nodes;
      c.entry.fileReached = c.file.reached;
      if (!evaluate) continue;
      const live = attempt(() => this.liveEnv(c.file!, c.entry.file, c.modelDir!));
      c.live = live.value;
      c.entry.liveError = live.error;
      if (c.live) c.entry.headline = uneditedHeadline(c.live, c.file, m.layout);
    }

    if (!evaluate) return;
    if (m && (options.shard || options.corpus?.length)) {
      this.samplesLabel = options.shard ?? options.corpus!.join(", ");
      this.windows = attempt(() => {
        const tokens = readSampleTokens(
          { shard: options.shard, corpus: options.corpus },
          m.model.dims.vocab,
          this.tokenizer,
        );
        const t = Math.min(options.windowLength ?? 64, m.model.dims.blockSize, tokens.length);
        const ids = spreadWindows(tokens, options.windows ?? 64, t, this.samplesLabel!);
        return { ids, n: ids.length / t, t };
      });
    } else {
      const means = this.circuits.find((c) => c.live?.setup.means)?.live?.setup.means;
      if (means) {
        this.samplesLabel = `the ${means.count} windows of ${m!.dir}/means.safetensors`;
        this.windows = { value: { ids: means.windows, n: means.count, t: means.length } };
      }
    }
  }

  /** The pruning setup of a circuit's (model, task, ablation, control), shared between circuit files. */
  private liveEnv(file: CircuitFile, source: string, modelDir: string): LiveEnv {
    const taskPath = findCircuitTask(file, source, this.options.task);
    const key = JSON.stringify([modelDir, taskPath, this.options.tokenizer, file.ablation, file.control]);
    let setup = this.setups.get(key);
    if (!setup) {
      setup = attempt(() =>
        setupPrune({
          modelDir,
          taskPath,
          tokenizerDir: this.options.tokenizer,
          ablation: file.ablation,
          control: file.control,
        }),
      );
      this.setups.set(key, setup);
    }
    if (!setup.value) throw new CspError(setup.error);
    const seqs = file.eval.split === "test" ? setup.value.test : setup.value.train;
    const pairs = spreadIndices(seqs.length / 2, file.eval.pairs);
    const seed = Number((file.prune_config as { seed?: unknown }).seed ?? 0);
    const evalSeqs = pairs.flatMap((p) => [seqs[2 * p], seqs[2 * p + 1]]);
    const shown = headlineSequences({
      test: setup.value.test,
      evalSeqs,
      evalSplit: file.eval.split,
      evalPairs: file.eval.pairs,
    });
    const draw = mixSeed(Number.isFinite(seed) ? seed : 0, 0x5eed);
    const calibration = calibrationFromRecord(file.calibration);
    // The full model's loss depends only on the setup and the pairs: once per sweep, not per file.
    const fullKey = JSON.stringify([key, shown.split, file.eval.pairs]);
    let lossFull = this.fullLosses.get(fullKey);
    if (lossFull === undefined) {
      const everyNode = new Float32Array(setup.value.layout.total).fill(1);
      const ctx = setup.value.ctx;
      lossFull = circuitLosses({ ctx, seqs: shown.seqs, mask: everyNode, calibration, draw }).lossCircuit;
      this.fullLosses.set(fullKey, lossFull);
    }
    return { setup: setup.value, evalSeqs, ...shown, lossFull, calibration, draw };
  }

  /** Each circuit's unedited headline (or why it has none) and the snippet source: see EvaluatedStatus. */
  evaluatedStatus(): EvaluatedStatus {
    return {
      circuits: this.circuits.map((c) => ({ headline: c.entry.headline, liveError: c.entry.liveError })),
      ...this.samplesStatus(),
    };
  }

  /** Takes the evaluating Workspace's numbers (same options, so the same circuits in the same order). */
  applyEvaluatedStatus(status: EvaluatedStatus): void {
    this.circuits.forEach((c, i) => {
      const s = status.circuits[i];
      if (!c.file || !s) return;
      c.entry.headline = s.headline;
      c.entry.liveError = s.liveError;
    });
    this.reportedSamples = { samples: status.samples, samplesError: status.samplesError };
  }

  private samplesStatus(): { samples?: string; samplesError?: string } {
    if (this.reportedSamples) return this.reportedSamples;
    return {
      samples: this.windows?.value ? this.samplesLabel : undefined,
      samplesError: this.windows?.error,
    };
  }

  /** The loaded circuit with this id, or a CspError saying why it cannot be shown. */
  circuit(id: number): LoadedCircuit & { file: CircuitFile } {
    const c = this.circuits[id];
    if (!c) throw new CspError(`no circuit with id ${id}`);
    if (!c.file) throw new CspError(c.entry.error ?? `${c.entry.file}: cannot be used`);
    return c as LoadedCircuit & { file: CircuitFile };
  }

  /** The circuit's live-evaluation environment, or a CspError saying why there is none. */
  live(id: number): LiveEnv {
    const c = this.circuit(id);
    if (!c.live) throw new CspError(c.entry.liveError ?? `${c.entry.file}: cannot be evaluated`);
    return c.live;
  }

  requireModel(): { model: Model; dir: string; layout: NodeLayout } {
    if (!this.model.value) throw new CspError(this.model.error!);
    return this.model.value;
  }

  session(): SessionInfo {
    const m = this.model.value;
    const model: ModelInfo | undefined = m && {
      path: m.dir,
      nLayer: m.model.dims.nLayer,
      nHead: m.model.dims.nHead,
      dHead: m.model.dims.dHead,
      dModel: m.model.dims.dModel,
      dMlp: m.model.dims.dMlp,
      dModelIn: m.model.dims.dModelIn,
      vocab: m.model.dims.vocab,
      blockSize: m.model.dims.blockSize,
    };
    return {
      circuits: this.circuits.map((c) => c.entry),
      model,
      modelError: this.model.error,
      tokenizer: this.tokenizer !== undefined,
      ...this.samplesStatus(),
      study: this.options.study,
      trajectory: this.options.trajectory,
      steer: steerInfo({ options: this.options, model: m, circuits: this.circuits }),
    };
  }
}
