import { CspError } from "../errors.js";

/** Activation-sparsity locations, as in the reference's `afrac_loctypes`. */
export const LOCTYPES = [
  "attn_in",
  "attn_q",
  "attn_k",
  "attn_v",
  "attn_out",
  "mlp_in",
  "mlp_neuron",
  "mlp_out",
  "resid_post_attn",
  "resid_post_mlp",
] as const;
export type Loctype = (typeof LOCTYPES)[number];

/**
 * The reference `GPTConfig`, field for field (snake_case kept so that `beeg_config.json` and our
 * `config.json` are the same file format). Derived values live in `ModelDims`.
 */
export interface GPTConfig {
  block_size: number;
  vocab_size: number;
  n_layer: number;
  n_head: number;
  /** Null means d_model / n_head. */
  d_head: number | null;
  d_model: number;
  dropout: number;
  bias: boolean;
  ln_bias: boolean;
  rms_norm: boolean;
  residual_activation_type: "identity" | "relu";
  activation_type: "gelu" | "relu";
  /** Fraction of activations kept by AbsTopK; null = no activation sparsity. */
  afrac: number | null;
  afrac_loctypes: string;
  debug_nans: boolean;
  tied_unembed: boolean;
  tokenizer_name: string;
  grad_checkpointing: boolean;
  /** Null means 4·d_model. The JSON key `n_mlp` is accepted as an alias. */
  d_mlp: number | null;
  enable_bigram_table: boolean;
  learnable_bigram_table: boolean;
  /** Width of the concatenated positional channels; null = additive positional embedding. */
  d_pos_emb: number | null;
  dropout_cat_pos_emb: boolean;
  sinusoidal_cat_pos_emb: boolean;
  enable_sparse_kernels: boolean;
  flash: boolean;
  sink: boolean;
}

export const DEFAULT_CONFIG: GPTConfig = {
  block_size: 1024,
  vocab_size: 50304,
  n_layer: 12,
  n_head: 12,
  d_head: null,
  d_model: 768,
  dropout: 0.0,
  bias: true,
  ln_bias: true,
  rms_norm: false,
  residual_activation_type: "identity",
  activation_type: "gelu",
  afrac: null,
  afrac_loctypes: "attn_in,attn_out,mlp_in,mlp_out",
  debug_nans: false,
  tied_unembed: true,
  tokenizer_name: "tinypython_2k",
  grad_checkpointing: true,
  d_mlp: null,
  enable_bigram_table: false,
  learnable_bigram_table: false,
  d_pos_emb: null,
  dropout_cat_pos_emb: false,
  sinusoidal_cat_pos_emb: false,
  enable_sparse_kernels: false,
  flash: true,
  sink: false,
};

/** Dimensions derived from a config, computed once. */
export interface ModelDims {
  nLayer: number;
  nHead: number;
  dHead: number;
  /** n_head · d_head: width of q, k, v and of the attention output y. */
  dAttn: number;
  dModel: number;
  dMlp: number;
  /** Width of the sublayer inputs: d_model + d_pos_emb for concatenated positions, else d_model. */
  dModelIn: number;
  dPos: number;
  catPosEmb: boolean;
  vocab: number;
  blockSize: number;
  /** AbsTopK fraction per location; absent = no top-k there. */
  afrac: Partial<Record<Loctype, number>>;
}

export interface ParsedConfig {
  config: GPTConfig;
  /** Keys that were accepted but have no effect on the model (reported once by the caller). */
  ignoredKeys: string[];
}

type Kind = "int" | "posint" | "num" | "bool" | "str" | "int|null" | "num|null";
const FIELD_KINDS: Record<keyof GPTConfig, Kind> = {
  block_size: "posint",
  vocab_size: "posint",
  n_layer: "int",
  n_head: "posint",
  d_head: "int|null",
  d_model: "posint",
  dropout: "num",
  bias: "bool",
  ln_bias: "bool",
  rms_norm: "bool",
  residual_activation_type: "str",
  activation_type: "str",
  afrac: "num|null",
  afrac_loctypes: "str",
  debug_nans: "bool",
  tied_unembed: "bool",
  tokenizer_name: "str",
  grad_checkpointing: "bool",
  d_mlp: "int|null",
  enable_bigram_table: "bool",
  learnable_bigram_table: "bool",
  d_pos_emb: "int|null",
  dropout_cat_pos_emb: "bool",
  sinusoidal_cat_pos_emb: "bool",
  enable_sparse_kernels: "bool",
  flash: "bool",
  sink: "bool",
};

function checkKind(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case "int":
      return Number.isInteger(v) && (v as number) >= 0;
    case "posint":
      return Number.isInteger(v) && (v as number) > 0;
    case "num":
      return typeof v === "number" && Number.isFinite(v);
    case "bool":
      return typeof v === "boolean";
    case "str":
      return typeof v === "string";
    case "int|null":
      return v === null || (Number.isInteger(v) && (v as number) > 0);
    case "num|null":
      return v === null || (typeof v === "number" && Number.isFinite(v));
  }
}

/**
 * Reads a config object (ours or a released `beeg_config.json`): unknown keys are tolerated and
 * returned in `ignoredKeys`, `n_mlp` is an alias of `d_mlp`, missing fields take the reference
 * defaults, and values that contradict each other are refused. `source` names the file in errors.
 */
export function parseConfig(raw: unknown, source: string): ParsedConfig {
  const fail = (problem: string): never => {
    throw new CspError(`${source}: ${problem}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("config is not a JSON object");
  const obj = { ...(raw as Record<string, unknown>) };
  if ("n_mlp" in obj) {
    if ("d_mlp" in obj && obj.d_mlp !== null && obj.d_mlp !== obj.n_mlp) {
      fail(`n_mlp (${String(obj.n_mlp)}) and d_mlp (${String(obj.d_mlp)}) disagree`);
    }
    obj.d_mlp = obj.n_mlp;
    delete obj.n_mlp;
  }
  if ("use_tied_aux_matrix" in obj && obj.use_tied_aux_matrix)
    fail("use_tied_aux_matrix=true is not supported");
  if ("n_embd" in obj && "d_model" in obj && obj.n_embd !== obj.d_model) {
    fail(`n_embd (${String(obj.n_embd)}) and d_model (${String(obj.d_model)}) disagree`);
  }
  const config: GPTConfig = { ...DEFAULT_CONFIG };
  const ignoredKeys: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (key in FIELD_KINDS) {
      const kind = FIELD_KINDS[key as keyof GPTConfig];
      if (!checkKind(value, kind))
        fail(`${key} must be ${kind.replace("posint", "a positive integer")}, got ${JSON.stringify(value)}`);
      (config as unknown as Record<string, unknown>)[key] = value;
    } else {
      ignoredKeys.push(key);
    }
  }
  validateConfig(config, fail);
  return { config, ignoredKeys };
}

function validateConfig(c: GPTConfig, fail: (problem: string) => never): void {
  if (c.residual_activation_type !== "identity" && c.residual_activation_type !== "relu") {
    fail(`residual_activation_type must be "identity" or "relu", got "${c.residual_activation_type}"`);
  }
  if (c.activation_type !== "gelu" && c.activation_type !== "relu") {
    fail(`activation_type must be "gelu" or "relu", got "${c.activation_type}"`);
  }
  if (c.d_model % c.n_head !== 0) fail(`d_model (${c.d_model}) is not divisible by n_head (${c.n_head})`);
  if (c.afrac !== null && !(c.afrac > 0 && c.afrac <= 1))
    fail(`afrac must be in (0, 1] or null, got ${c.afrac}`);
  for (const loc of parseLoctypes(c.afrac_loctypes)) {
    if (!(LOCTYPES as readonly string[]).includes(loc))
      fail(`afrac_loctypes: unknown location "${loc}" (allowed: ${LOCTYPES.join(", ")})`);
  }
  if (c.dropout !== 0)
    fail(`dropout must be 0 (inference and training here are dropout-free), got ${c.dropout}`);
  if (c.sink && !c.flash)
    fail("sink=true requires flash=true (the reference builds the sink only in the flash path)");
  if (c.learnable_bigram_table && !c.enable_bigram_table)
    fail("learnable_bigram_table=true requires enable_bigram_table=true");
  if (c.tied_unembed && c.d_pos_emb !== null) fail("tied_unembed cannot be combined with d_pos_emb");
  if (c.sinusoidal_cat_pos_emb && c.d_pos_emb === null)
    fail("sinusoidal_cat_pos_emb=true requires d_pos_emb");
}

function parseLoctypes(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

export function modelDims(c: GPTConfig): ModelDims {
  const dHead = c.d_head ?? Math.floor(c.d_model / c.n_head);
  const dPos = c.d_pos_emb ?? 0;
  const afrac: Partial<Record<Loctype, number>> = {};
  if (c.afrac !== null) for (const loc of parseLoctypes(c.afrac_loctypes)) afrac[loc as Loctype] = c.afrac;
  return {
    nLayer: c.n_layer,
    nHead: c.n_head,
    dHead,
    dAttn: c.n_head * dHead,
    dModel: c.d_model,
    dMlp: c.d_mlp ?? 4 * c.d_model,
    dModelIn: c.d_model + dPos,
    dPos,
    catPosEmb: c.d_pos_emb !== null,
    vocab: c.vocab_size,
    blockSize: c.block_size,
    afrac,
  };
}

/** k = trunc(afrac·width), as the reference's `int(afrac * x.shape[-1])`. */
export function topkCount(afrac: number, width: number): number {
  return Math.trunc(afrac * width);
}
