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
  /** The circuit file's task name. */
  taskName?: string;
  /** The circuit keeps every node of the model (the search did not reach its target below that). */
  wholeModel?: boolean;
  /** The unedited circuit's headline (see Headline); absent when it cannot be evaluated live. */
  headline?: Headline;
  /** `reached` as the circuit file records it (csp prune: uncalibrated, on the train evaluation pairs). */
  fileReached?: boolean;
}

/**
 * The numbers a researcher reads first: the uncalibrated task loss of the (edited) circuit on the task's
 * test split (the split the calibration was not fitted on), and whether it is at most the target.
 */
export interface Headline {
  /** "test", or the circuit file's evaluation split when the task has no test pairs. */
  split: string;
  pairs: number;
  lossCircuit: number;
  /** The same logits with the circuit file's calibration (fitted on the train pairs): secondary. */
  lossCalibrated: number;
  lossFull: number;
  targetLoss: number;
  /** lossCircuit ≤ targetLoss. */
  reached: boolean;
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
  /** The `csp study` directory of the study page (`csp view --study`), if any. */
  study?: string;
  /** The trajectory.json of the trajectory page (`csp view --trajectory`), if any. */
  trajectory?: string;
  /** Steering the dense model (`csp view --dense DIR` on a bridged model), if asked for. */
  steer?: SteerInfo;
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
  /** The task (and control, if any) of that file: points of different series are never joined. */
  series?: string;
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
  /** `reached` as the circuit file records it (csp prune: uncalibrated, on the train evaluation pairs). */
  reached: boolean;
  /** The unedited circuit's headline numbers (test split); absent when it cannot be evaluated live. */
  headline?: Headline;
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
  /** Pairs the node and layer effects were measured on (the first of the file's train evaluation pairs). */
  effectsPairs: number;
  /** Why the circuit cannot be re-evaluated live, if it cannot. */
  liveError?: string;
  /** This circuit's own search or bisection log, as points (uncalibrated, train evaluation pairs). */
  searchCurve: CurvePoint[];
  /**
   * One point per loaded circuit file (a sweep given on the command line): the file's uncalibrated
   * `loss_circuit` (train evaluation pairs, as the search measured), with its series (task).
   */
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

/**
 * The binary choice the task loss scores for one sequence: the correct token against the other pair
 * member's, P = softmax over those two logits only, loss = −ln P(correct).
 */
export interface BinaryChoice {
  pCorrect: number;
  pWrong: number;
  loss: number;
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
  /** What the loss scores, per side: full model, circuit, circuit calibrated. */
  binaryA: { full: BinaryChoice; circuit: BinaryChoice; calibrated: BinaryChoice };
  binaryB: { full: BinaryChoice; circuit: BinaryChoice; calibrated: BinaryChoice };
  /** Tokens dropped from the front of an edited prompt longer than the model's context. */
  droppedA?: number;
  droppedB?: number;
  /** Top next tokens after A, full model vs circuit (all tokens; secondary to the binary choice). */
  topFullA: Prediction[];
  topCircuitA: Prediction[];
  topFullB: Prediction[];
  topCircuitB: Prediction[];
}

export interface EvaluateRequest extends Edits {
  /** Pairs to show in detail (indices into the task), default the first few. */
  showPairs?: number[];
  /**
   * An edited prompt pair evaluated beside pair `index`: its texts, and optionally new targets (each one
   * token; default the pair's own). A prompt's failure is reported in `promptError`, not as an error.
   */
  prompt?: { index: number; textA: string; textB: string; targetA?: string; targetB?: string };
}

export interface EvaluateResponse {
  /** Sequences the losses average over (both of each pair). */
  sequences: number;
  /** The split the losses are on ("test" when the task has one) and its pairs (the Task tab's indices). */
  split: string;
  pairCount: number;
  /** Uncalibrated loss of the edited circuit ≤ the circuit's target loss. */
  reached: boolean;
  lossFull: number;
  /** The headline: uncalibrated. */
  lossCircuit: number;
  /** Secondary: with the calibration fitted on the train pairs. */
  lossCalibrated: number;
  /** Nodes kept after the edits. */
  nodes: number;
  edges: number;
  pairs: PairResult[];
  /** The edited prompt's result, when one was sent and could be evaluated; else why not. */
  prompt?: PairResult;
  promptError?: string;
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

/** A researcher's label and note for one node, saved into the circuit file's `notes`. */
export interface NodeNote {
  label?: string;
  note?: string;
}

/** `POST /api/notes`: sets (or, with both texts empty, removes) one node's label and note. */
export interface NoteRequest {
  circuit: number;
  /** `loc:index`. */
  node: string;
  label: string;
  note: string;
}

/** `GET /api/notes/<id>` and the answer to a save: every note of the circuit file, as on disk. */
export interface NotesResponse {
  notes: Record<string, NodeNote>;
}

/** One line of the model's metrics.jsonl, as the training-metrics charts use it. */
export interface MetricsPoint {
  step: number;
  loss: number;
  valLoss?: number;
  lr: number;
  /** Fraction of the sparsified matrices' entries that are nonzero after the step. */
  kept: number;
  tokens: number;
}

/** GET /api/metrics: the training curves of the model, or a note saying why there are none. */
export interface MetricsView {
  file: string;
  points: MetricsPoint[];
  /** Every field of the last record, for the "final metrics" table. */
  last?: Record<string, number | null>;
  note?: string;
}

/** GET /api/wpe: the position embedding table (the first rows and columns), and what kind it is. */
export interface WpeView {
  /** additive (learned, added to the residual) | concatenated (learned, extra input channels) | sinusoidal (fixed). */
  kind: "additive" | "concatenated" | "sinusoidal";
  positions: number;
  channels: number;
  /** Rows and columns included in `values` (the reference shows at most 256 × 512). */
  shownPositions: number;
  shownChannels: number;
  /** Row-major shownPositions × shownChannels. */
  values: number[];
  /** Nonzero positions per channel (all rows), and nonzeros in the whole table. */
  nonzeroPerChannel: number[];
  nonzero: number;
  maxAbs: number;
}

/** GET /api/channels: nonzero weights touching each residual channel (length d_model each). */
export interface ChannelCounts {
  /** Tokens whose embedding is nonzero in the channel. */
  wte: number[];
  /** Positions whose additive embedding is nonzero in the channel (absent for concatenated positions). */
  wpe?: number[];
  /** Nonzero weights reading the channel: attention c_attn and MLP c_fc columns over all layers. */
  readers: number[];
  /** Nonzero weights writing the channel: attention and MLP c_proj rows over all layers. */
  writers: number[];
  /** Nonzero unembedding weights reading the channel (lm_head, or wte when tied). */
  unembed: number[];
}

/** One cell of a `csp study` (docs/study.md), with whether its circuit file is on disk. */
export interface StudyCellView {
  index: number;
  model: string;
  task: string;
  targetLoss: number;
  method: string;
  control: string | null;
  reached: boolean;
  /** The full model reaches the target too: the cell counts in the comparisons. */
  counts: boolean;
  nodes: number;
  edges: number;
  lossFull: number;
  lossCircuit: number;
  lossCalibrated: number;
  lossCircuitAblated: number;
  seconds: number;
  circuit: string;
  circuitExists: boolean;
}

/** GET /api/study: a `csp study` output directory. */
export interface StudyView {
  dir: string;
  command: string;
  started: string;
  mainTarget: number;
  models: { name: string; kind: string; valLoss: number | null; nonzero: number; total: number }[];
  cells: StudyCellView[];
  /** The summary block of study.json, as written. */
  summary: Record<string, unknown>;
  /** The study's SVG plots that exist, as text. */
  plots: { name: string; svg: string }[];
}

/** POST /api/study/cell/N/open, /api/trajectory/snapshot/N/open: where the circuit is being served. */
export interface OpenedCircuit {
  url: string;
}

/** One snapshot of trajectory.json (csp-trajectory/1), as the view uses it. */
export interface TrajectorySnapshotView {
  step: number;
  tokens: number;
  valLoss: number | null;
  taskLoss: number;
  reached: boolean;
  nodes: number;
  edges: number;
  nodeSet: string[];
  /** null when this snapshot's and the final circuit's node sets are both empty (overlap undefined). */
  jaccardWithFinal: number | null;
  circuit: string | null;
  circuitExists: boolean;
}

/** GET /api/trajectory: a circuit across training snapshots. */
export interface TrajectoryView {
  file: string;
  modelName: string;
  taskName: string;
  targetLoss: number;
  finalStep: number;
  snapshots: TrajectorySnapshotView[];
  /** node key → the step of the first snapshot whose circuit holds it. */
  entryStep: Record<string, number>;
}

/** session.steer: the dense model of `csp view --dense DIR` and whether the model's bridges fit it. */
export interface SteerInfo {
  dense: string;
  /** Why steering is unavailable (no bridges.safetensors beside the model, or bridges that do not fit). */
  error?: string;
  /** Per circuit id: the first test pair of its task (prompt A, counterfactual B, their answers). */
  defaults: Record<number, SteerDefaults>;
}

export interface SteerDefaults {
  prompt: string;
  counterfactual: string;
  candidates: string[];
}

/** POST /api/steer: steer the dense model with a bridged node of the circuit (docs/bridges.md). */
export interface SteerViewRequest {
  circuit: number;
  /** `{layer}.attn.act_in:C` or `{layer}.mlp.act_in:C`. */
  node: string;
  prompt: string;
  /** Exactly one of counterfactual (same token count as the prompt) and value. */
  counterfactual?: string;
  value?: number;
  /** Tokens whose probabilities are read out, each one token. */
  candidates: string[];
  strengths: number[];
}

/** The answer of POST /api/steer (circuit/steer_request.ts SteerReport). */
export interface SteerViewReport {
  node: string;
  strengths: number[];
  candidates: string[][];
  examples: number;
  /** [strength][example][candidate] */
  dense: number[][][];
  sparse: number[][][];
  /** Per strength, the mean over examples of each candidate. */
  denseMean: number[][];
  sparseMean: number[][];
  meanAbsDelta: number;
}
