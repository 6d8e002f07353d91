import type { CircuitEdge, ResidualLink } from "./edges.js";

/**
 * The mask optimiser's hyperparameters, named as in the paper's Table 2 (spec E.3); these are what the
 * random search varies.
 */
export interface MaskHyper {
  /** Weight of the node count Σm in the loss. */
  k_coef: number;
  /** τ ~ N(init_noise_bias, init_noise_scale²) at the start. */
  init_noise_scale: number;
  init_noise_bias: number;
  /** AdamW decoupled weight decay on τ (τ −= lr·wd·τ). */
  wd: number;
  /** Peak learning rate. */
  lr: number;
  /** 1 − β2 of Adam. */
  inv_beta2: number;
  /** Linear warmup over this fraction of the steps, then linear decay to 0. */
  lr_warmup_frac: number;
  /** Temperature T of the sigmoid-derivative surrogate ∂m/∂τ = σ(τ/T)(1−σ(τ/T))/T. */
  heaviside_temp: number;
}

/** The circuit file format version this code writes and reads. */
export const CIRCUIT_VERSION = 1;

/** A faithfulness control the circuit was found under (null: the real model and task). */
export type CircuitControl =
  { kind: "random-init"; seed: number } | { kind: "shuffled-labels"; seed: number } | null;

/** One trial of the hyperparameter search, as stored. */
export interface SearchLogEntry {
  trial: number;
  hyper: MaskHyper;
  /** Nodes with τ ≥ 0 after training; null for attribution. */
  trained_kept: number | null;
  k: number;
  loss: number;
  reached: boolean;
  /** Nodes the repair rounds moved to the front of the ranking ("site:index"), in order. */
  promoted: string[];
  /** Bisection evaluations in order (repair rounds included): [k, loss]. */
  bisection: [number, number][];
  /** Training curve, every step: [step, loss, kept, lr]. */
  curve: [number, number, number, number][];
}

/**
 * A circuit file (docs/circuit-format.md). Losses are mean per-sequence two-token contrast losses on the
 * evaluation pairs of the training split (`csp evaluate` reports the test split).
 */
export interface CircuitFile {
  version: 1;
  model: { path: string; name: string; config_hash: string; weights_hash: string };
  task: { path: string; name: string; hash: string };
  method: "learned" | "attribution" | "imported-viz";
  control: CircuitControl;
  ablation: "mean" | "zero" | "resample";
  target_loss: number;
  reached: boolean;
  loss_full: number;
  /** Before calibration. */
  loss_circuit: number;
  loss_calibrated: number;
  /** Every node ablated. */
  loss_empty: number;
  eval: { split: string; pairs: number };
  /**
   * logits ↦ scale·logits + shift + token_shift[token]. The uniform `shift` cancels in the two-token loss,
   * so the fit leaves it 0; `token_shift` holds the per-candidate-token biases that do act.
   */
  calibration: { scale: number; shift: number; token_shift: Record<string, number> };
  /** Kept channels per node site, sorted ascending; sites without kept channels may be omitted. */
  nodes: Record<string, number[]>;
  num_nodes: number;
  total_nodes: number;
  num_edges: number;
  edges: CircuitEdge[];
  residual_links: ResidualLink[];
  /** Per site, aligned with nodes[site]: loss when that node is ablated too; null when not measured. */
  node_effects: Record<string, number[]> | null;
  /** "{i}.attn" / "{i}.mlp": loss when all circuit nodes of that sublayer are ablated too. */
  layer_effects: Record<string, number>;
  effects: { pairs: number; base_loss: number };
  prune_config: Record<string, unknown>;
  search_log: SearchLogEntry[];
  /** Optional researcher's labels and notes per node (`csp view` writes them), keyed "site:index". */
  notes?: Record<string, NodeNote>;
}

/** A researcher's label (short name) and free-text note for one node. */
export interface NodeNote {
  label?: string;
  note?: string;
}

/** Longest label and note a circuit file may hold (characters). */
export const MAX_NOTE_LABEL = 200;
export const MAX_NOTE_TEXT = 10_000;
