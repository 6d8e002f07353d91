import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { CspError } from "../../errors.js";
import { writeFileAtomic } from "../../io/atomic.js";
import { TASK_GENERATORS } from "../../tasks/generators/registry.js";
import { formatTaskJsonl } from "../../tasks/jsonl.js";
import { loadTokenizer } from "../../tokenizer/tokenizer_files.js";
import { sha256 } from "../../model/model_hash.js";
import { fullTestLoss } from "../../circuit/evaluate.js";
import { setupPrune } from "../../circuit/setup.js";
import type { StudyModel } from "./models.js";
import type { StudyTaskSpec } from "./spec.js";

/** A task on a model, as recorded in study.json. */
export interface StudyTask {
  model: string;
  task: string;
  /** The task file, relative to the study directory; null when unavailable. */
  file: string | null;
  /** Full-model loss on the test split (null when unavailable). */
  loss_full: number | null;
  /** Whether the full model does the task: loss_full < the main target. */
  learned: boolean | null;
  /** Why the task cannot be run on this model (null when it can). */
  unavailable: string | null;
}

/** A task ready to prune: its file and hash besides the record. */
export interface PreparedTask extends StudyTask {
  path: string | null;
  hash: string | null;
}

/** Cache of a model's full test loss on a task, keyed by what it depends on. */
interface FullLossRecord {
  weights_hash: string;
  task_hash: string;
  loss_full: number;
  sequences: number;
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined; // unreadable: recomputed and rewritten
  }
}

/**
 * Generates the task file for the model's tokenizer (`csp tasks make`; rewritten only when its content
 * changes, so reruns leave it alone) or takes the given file, then measures (or reads from its cache) the
 * full model's test loss. A task the generator cannot express for this tokenizer, or that does not load
 * on this model, comes back unavailable with the reason instead of failing the study.
 */
export function prepareTask(
  outDir: string,
  model: StudyModel,
  task: StudyTaskSpec,
  o: { pairs: number; seed: number; mainTarget: number },
): PreparedTask {
  const base = { model: model.name, task: task.name };
  const unavailable = (reason: string): PreparedTask => ({
    ...base,
    file: null,
    loss_full: null,
    learned: null,
    unavailable: reason,
    path: null,
    hash: null,
  });
  const stem = join(outDir, "tasks", model.name, task.name);
  let path = task.file;
  try {
    if (path === null) {
      path = `${stem}.jsonl`;
      const lines = TASK_GENERATORS[task.name].generate(o.pairs, {
        seed: o.seed,
        tokenizer: loadTokenizer(model.tokenizer_dir),
      });
      const text = formatTaskJsonl(lines);
      if (!existsSync(path) || readFileSync(path, "utf8") !== text) writeFileAtomic(path, text);
    }
    const hash = sha256(readFileSync(path));
    const cachePath = `${stem}.full.json`;
    let cached = readJson<FullLossRecord>(cachePath);
    if (cached?.weights_hash !== model.weights_hash || cached.task_hash !== hash) {
      // Nothing is ablated, so the ablation does not matter: "zero" skips loading the means.
      const setup = setupPrune({ modelDir: model.dir, taskPath: path, ablation: "zero" });
      cached = {
        weights_hash: model.weights_hash,
        task_hash: hash,
        loss_full: fullTestLoss(setup),
        sequences: setup.test.length,
      };
      writeFileAtomic(cachePath, JSON.stringify(cached, null, 2) + "\n");
    }
    return {
      ...base,
      file: relative(outDir, path),
      loss_full: cached.loss_full,
      learned: cached.loss_full < o.mainTarget,
      unavailable: null,
      path,
      hash,
    };
  } catch (e) {
    if (e instanceof CspError) return unavailable(e.message);
    throw e;
  }
}
