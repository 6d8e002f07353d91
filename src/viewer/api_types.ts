/**
 * The JSON API between `csp view`'s server and its browser front end. Types only, shared by both
 * builds (no Node or DOM imports). Losses are per sequence (the circuit file's convention).
 */

/** One circuit file named on the command line, loaded or not. */
export interface CircuitEntry {
  id: number;
  /** The file name as given on the command line. */
  file: string;
  /** The one-line problem when the file could not be used. */
  error?: string;
  /** Why the circuit can be drawn but not re-evaluated (missing task, means, ...). */
  liveError?: string;
  /** Nodes in the circuit. */
  nodes?: number;
  edges?: number;
  lossCalibrated?: number;
}

export interface ModelInfo {
  path: string;
  nLayer: number;
  nHead: number;
  dHead: number;
  dModel: number;
  dMlp: number;
  dModelIn: number;
  vocab: number;
  blockSize: number;
}

/** What the server could load; the front end hides the views whose data is missing. */
export interface SessionInfo {
  circuits: CircuitEntry[];
  model?: ModelInfo;
  /** Why no model could be loaded. */
  modelError?: string;
  tokenizer: boolean;
  /** Source of pretraining snippets (shard, corpus, or the windows of means.safetensors), if any. */
  samples?: string;
  samplesError?: string;
}

export interface CircuitEdge {
  src: string;
  dst: string;
  weight: number;
}

/** A point of a loss-versus-circuit-size curve. */
export interface CurvePoint {
  nodes: number;
  loss: number;
  /** The circuit file the point comes from, for points across files. */
  file?: string;
}

/** One circuit, as the front end draws it. */
export interface CircuitView {
  id: number;
  file: string;
  modelPath: string;
  taskName: string;
  taskPath: string;
  method: string;
  ablation: string;
  control: string;
  reached: boolean;
  targetLoss: number;
  lossFull: number;
  lossCircuit: number;
  lossCalibrated: number;
  lossEmpty: number;
  /** Logit scale of the calibration (its per-token shifts are applied by the server). */
  calibrationScale: number;
  /** Split and number of pairs the file's losses were measured on (the live loss uses the same). */
  evalSplit: string;
  evalPairs: number;
  /** Nodes in the circuit, and in the whole model. */
  nodeCount: number;
  modelNodes: number;
  /** loc → retained channel indices. */
  nodes: Record<string, number[]>;
  edges: CircuitEdge[];
  /** loc → loss when each listed node is additionally ablated (aligned with nodes[loc]). */
  nodeEffects: Record<string, number[]>;
  /** "i.attn" | "i.mlp" → loss with that sublayer's circuit nodes ablated. */
  layerEffects: Record<string, number>;
  /** The circuit's own loss on the pairs the effects were measured on: effects are relative to it. */
  effectsBase: number;
  /** Why the circuit cannot be re-evaluated live, if it cannot. */
  liveError?: string;
  /** This circuit's own search or bisection log, as points. */
  searchCurve: CurvePoint[];
  /** One point per loaded circuit file (a sweep given on the command line). */
  sweepCurve: CurvePoint[];
  pruneConfig?: unknown;
}

/** What the user changed in the browser: nodes and edges switched off, and edited prompts. */
export interface Edits {
  circuit: number;
  /** Node keys `loc:index` switched off (mean-ablated). */
  disabledNodes: string[];
  /** Edge keys `src->dst` switched off (the weight replaced by its mean contribution). */
  disabledEdges: string[];
}

/** A next-token candidate. */
export interface Prediction {
  token: number;
  text: string;
  prob: number;
}

/** One task pair evaluated under the current circuit. */
export interface PairResult {
  index: number;
  textA: string;
  textB: string;
  /** The correct next token of A (B's alternative) and of B. */
  targetA: string;
  targetB: string;
  /** Per-sequence binary loss, averaged over A and B. */
  lossFull: number;
  lossCircuit: number;
  lossCalibrated: number;
  /** Top next tokens after A, full model vs circuit. */
  topFullA: Prediction[];
  topCircuitA: Prediction[];
  topFullB: Prediction[];
  topCircuitB: Prediction[];
}

export interface EvaluateRequest extends Edits {
  /** Pairs to show in detail (indices into the task), default the first few. */
  showPairs?: number[];
  /** An edited prompt pair evaluated in place of pair `index` (texts; targets kept). */
  prompt?: { index: number; textA: string; textB: string };
}

export interface EvaluateResponse {
  /** Sequences the losses average over (both of each pair). */
  sequences: number;
  lossFull: number;
  lossCircuit: number;
  lossCalibrated: number;
  /** Nodes kept after the edits. */
  nodes: number;
  edges: number;
  pairs: PairResult[];
  /** The edited prompt's result, when one was sent. */
  prompt?: PairResult;
  millis: number;
}

/** One token of a snippet with the node's activation there. */
export interface SnippetToken {
  text: string;
  act: number;
}

export interface Snippet {
  tokens: SnippetToken[];
  /** Index (into tokens) of the position the snippet was chosen for. */
  focus: number;
}

/** Snippets at one quantile: the documents whose focus activation sits at the top or bottom fraction. */
export interface QuantileSnippets {
  fraction: number;
  top: Snippet[];
  bottom: Snippet[];
}

export interface NodeRequest extends Edits {
  loc: string;
  index: number;
}

export interface NodeDetail {
  loc: string;
  index: number;
  /** Head and channel within it for q/k/v nodes. */
  head?: number;
  headChannel?: number;
  /** Loss when this node is additionally ablated, from the circuit file. */
  effect?: number;
  inputs: CircuitEdge[];
  outputs: CircuitEdge[];
  /** Mean activation used when the node is ablated. */
  mean?: number;
  /** Pretraining snippets by quantile; absent without a sample source. */
  pretraining?: QuantileSnippets[];
  pretrainingError?: string;
  /** Task pairs under the current circuit: class A docs, class B docs, and B − A per position. */
  task?: { classA: Snippet[]; classB: Snippet[]; diff: Snippet[] };
  taskError?: string;
}

export interface EmbeddingToken {
  token: number;
  text: string;
  weight: number;
}

export interface EmbeddingChannel {
  channel: number;
  nonzero: number;
  top: EmbeddingToken[];
  bottom: EmbeddingToken[];
  /** Histogram of the column's values: bin edges (length bins+1) and counts. */
  edges: number[];
  counts: number[];
}

/** The error body of every failed API call. */
export interface ApiError {
  error: string;
}
