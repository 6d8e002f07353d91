import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { CspError } from "../../errors.js";
import { TASK_GENERATORS } from "../../tasks/generators/registry.js";
import { ABLATION_KINDS, type AblationKind } from "../../circuit/ablation.js";
import { PRUNE_SETTING_KEYS, pruneSettings, type PruneSettingKey, type PruneSettings } from "../settings.js";
import { PRUNE_METHODS, type PruneMethod } from "../prune.js";
import { confidenceField } from "../config.js";
import { CONTROLS, type ControlKind } from "../../circuit/setup.js";

export const MODEL_KINDS = ["sparse", "dense"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface StudyModelSpec {
  name: string;
  /** Absolute: resolved against the spec file's directory. */
  dir: string;
  /** Overrides the kind read from the model's config.json. */
  kind?: ModelKind;
  /** The controls run on this model; absent: the study's `controls`. */
  controls?: ControlKind[];
}

/** A task: a built-in generator (file null), or a task file used as it is for every model. */
export interface StudyTaskSpec {
  name: string;
  /** Absolute path of a given task file; null: generated per model with `csp tasks make NAME`. */
  file: string | null;
}

/** A parsed study spec (docs/study.md), defaults filled in. */
export interface StudySpec {
  models: StudyModelSpec[];
  tasks: StudyTaskSpec[];
  /** Pairs per generated task file. */
  pairs: number;
  task_seed: number;
  target_losses: number[];
  methods: PruneMethod[];
  /** Run for method "learned" at the main target only. */
  controls: ControlKind[];
  main_target: number;
  ablation: AblationKind;
  /** Every prune setting (csp prune's defaults where the spec sets none). */
  prune: Partial<Record<PruneSettingKey, number>>;
  /** Which models the summary compares (default: chosen by validation loss). */
  compare: { sparse: string | null; dense: string | null };
}

export const DEFAULT_PAIRS = 160;
export const DEFAULT_MAIN_TARGET = 0.15;
/** Model and task names become directory names. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const SPEC_KEYS = [
  "models",
  "tasks",
  "pairs",
  "task_seed",
  "target_losses",
  "methods",
  "controls",
  "main_target",
  "ablation",
  "prune",
  "compare",
];

type Raw = Record<string, unknown>;

/** Checks a JSON spec; every problem is a one-line CspError naming `file` and the field. */
export function parseStudySpec(raw: unknown, file: string): StudySpec {
  const fail = (field: string, problem: string): never => {
    throw new CspError(`${file}: ${field} ${problem}`);
  };
  const object = (v: unknown, field: string, keys: readonly string[]): Raw => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(field, "must be a JSON object");
    for (const k of Object.keys(v as Raw))
      if (!keys.includes(k))
        fail(
          field === "spec" ? `"${k}"` : `${field}.${k}`,
          `is not a known field (known: ${keys.join(", ")})`,
        );
    return v as Raw;
  };
  const array = (v: unknown, field: string, nonEmpty: boolean): unknown[] => {
    if (!Array.isArray(v)) fail(field, "must be an array");
    if (nonEmpty && (v as unknown[]).length === 0) fail(field, "must not be empty");
    return v as unknown[];
  };
  const name = (v: unknown, field: string): string => {
    if (typeof v !== "string" || !NAME.test(v))
      fail(field, `must be a name of letters, digits, ".", "_" or "-", got ${JSON.stringify(v)}`);
    return v as string;
  };
  const choices = <T extends string>(v: unknown, field: string, allowed: readonly T[], nonEmpty: boolean) => {
    const list = array(v, field, nonEmpty);
    list.forEach((x, i) => {
      if (!(allowed as readonly unknown[]).includes(x))
        fail(`${field}[${i}]`, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(x)}`);
      if (list.indexOf(x) !== i) fail(`${field}[${i}]`, `repeats ${JSON.stringify(x)}`);
    });
    return list as T[];
  };
  const integer = (v: unknown, field: string, fallback: number, min: number): number => {
    if (v === undefined) return fallback;
    if (!Number.isSafeInteger(v) || (v as number) < min)
      fail(field, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const positive = (v: unknown, field: string): number => {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0)
      fail(field, `must be a positive number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const base = dirname(resolve(file));
  const path = (v: unknown, field: string): string => {
    if (typeof v !== "string" || v === "") fail(field, "must be a path (a non-empty string)");
    return isAbsolute(v as string) ? (v as string) : resolve(base, v as string);
  };
  const unique = (names: string[], field: string) =>
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) fail(`${field}[${i}].name`, `repeats ${JSON.stringify(n)}`);
    });

  const spec = object(raw, "spec", SPEC_KEYS);
  if (spec.models === undefined) fail('"models"', "is required");
  if (spec.tasks === undefined) fail('"tasks"', "is required");
  if (spec.target_losses === undefined) fail('"target_losses"', "is required");

  const models = array(spec.models, "models", true).map((m, i): StudyModelSpec => {
    const f = `models[${i}]`;
    const o = object(m, f, ["name", "dir", "kind", "controls"]);
    const model: StudyModelSpec = { name: name(o.name, `${f}.name`), dir: path(o.dir, `${f}.dir`) };
    if (o.kind !== undefined) {
      if (!(MODEL_KINDS as readonly unknown[]).includes(o.kind))
        fail(`${f}.kind`, `must be "sparse" or "dense", got ${JSON.stringify(o.kind)}`);
      model.kind = o.kind as ModelKind;
    }
    if (o.controls !== undefined) model.controls = choices(o.controls, `${f}.controls`, CONTROLS, false);
    return model;
  });
  unique(
    models.map((m) => m.name),
    "models",
  );

  const tasks = array(spec.tasks, "tasks", true).map((t, i): StudyTaskSpec => {
    const f = `tasks[${i}]`;
    if (typeof t === "string") {
      if (TASK_GENERATORS[t] === undefined)
        fail(
          f,
          `is not a built-in task: ${JSON.stringify(t)} (see csp tasks list; or give {"name", "file"})`,
        );
      return { name: t, file: null };
    }
    const o = object(t, f, ["name", "file"]);
    return { name: name(o.name, `${f}.name`), file: path(o.file, `${f}.file`) };
  });
  unique(
    tasks.map((t) => t.name),
    "tasks",
  );

  const targets = array(spec.target_losses, "target_losses", true).map((v, i) =>
    positive(v, `target_losses[${i}]`),
  );
  targets.forEach((t, i) => {
    if (targets.indexOf(t) !== i) fail(`target_losses[${i}]`, `repeats ${t}`);
  });
  const mainTarget =
    spec.main_target === undefined ? DEFAULT_MAIN_TARGET : positive(spec.main_target, "main_target");
  if (!targets.includes(mainTarget))
    fail(
      "main_target",
      `${mainTarget}${spec.main_target === undefined ? " (the default)" : ""} is not one of target_losses`,
    );

  let ablation: AblationKind = "mean";
  if (spec.ablation !== undefined) {
    if (!(ABLATION_KINDS as readonly unknown[]).includes(spec.ablation))
      fail("ablation", `must be one of ${ABLATION_KINDS.join(", ")}, got ${JSON.stringify(spec.ablation)}`);
    ablation = spec.ablation as AblationKind;
  }

  const prune = object(spec.prune ?? {}, "prune", PRUNE_SETTING_KEYS);
  for (const [k, v] of Object.entries(prune))
    if (typeof v !== "number") fail(`prune.${k}`, `must be a number, got ${JSON.stringify(v)}`);
  const settings = pruneSettings(
    (k) => (prune[k] === undefined ? undefined : String(prune[k])),
    (k) => `${file}: prune.${k}`,
  );

  const compareRaw = object(spec.compare ?? {}, "compare", ["sparse", "dense"]);
  const compare = { sparse: null as string | null, dense: null as string | null };
  for (const side of ["sparse", "dense"] as const) {
    const v = compareRaw[side];
    if (v === undefined) continue;
    if (!models.some((m) => m.name === v))
      fail(`compare.${side}`, `must name one of the models, got ${JSON.stringify(v)}`);
    compare[side] = v as string;
  }

  return {
    models,
    tasks,
    pairs: integer(spec.pairs, "pairs", DEFAULT_PAIRS, 5),
    task_seed: integer(spec.task_seed, "task_seed", 0, Number.MIN_SAFE_INTEGER),
    target_losses: targets,
    methods: spec.methods === undefined ? ["learned"] : choices(spec.methods, "methods", PRUNE_METHODS, true),
    controls: spec.controls === undefined ? [] : choices(spec.controls, "controls", CONTROLS, false),
    main_target: mainTarget,
    ablation,
    prune: settingsRecord(settings),
    compare,
  };
}

/** Reads and checks a spec file. */
export function readStudySpec(file: string): StudySpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CspError(`${file}: cannot read (${(e as Error).message.split("\n")[0]})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CspError(`${file}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  return parseStudySpec(raw, file);
}

/** Prune settings by their spec keys. */
export function settingsRecord(s: PruneSettings): Partial<Record<PruneSettingKey, number>> {
  const m = s.mask;
  return {
    seed: m.seed,
    steps: m.steps,
    batch: m.batch_pairs,
    search: s.search,
    eval_pairs: s.evalPairs,
    effects_pairs: s.effectsPairs,
    max_effect_nodes: s.maxEffectNodes,
    repair_rounds: s.repairRounds,
    ...confidenceField(s.confidence),
    k_coef: m.k_coef,
    lr: m.lr,
    init_noise_scale: m.init_noise_scale,
    init_noise_bias: m.init_noise_bias,
    wd: m.wd,
    inv_beta2: m.inv_beta2,
    lr_warmup_frac: m.lr_warmup_frac,
    heaviside_temp: m.heaviside_temp,
  };
}

/** The prune settings a spec's record stands for (the record is already checked). */
export function specPruneSettings(spec: StudySpec): PruneSettings {
  return pruneSettings(
    (k) => (spec.prune[k] === undefined ? undefined : String(spec.prune[k])),
    (k) => `prune.${k}`,
  );
}
