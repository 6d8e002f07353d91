import type { Model } from "../model/model.js";
import { circuitMask } from "../circuit/read.js";
import { CspError } from "../errors.js";
import type { PruneContext } from "../circuit/masked_run.js";
import type { TaskSequence } from "../circuit/task_data.js";
import { calibratedMargin, sigmoid, softplus, type Calibration } from "../circuit/task_loss.js";
import { DEFAULT_TASK_MAX_LEN } from "../tasks/task.js";
import type {
  BinaryChoice,
  CircuitEdge,
  CircuitView,
  Edits,
  EvaluateRequest,
  EvaluateResponse,
  NodeDetail,
  NodeRequest,
  PairResult,
  Prediction,
  Snippet,
} from "./api_types.js";
import { maskedActivations, maskedLastLogits, topTokens, withEdgesAblated } from "./circuit_eval.js";
import { circuitLosses, headline } from "./headline.js";
import { searchCurve, sweepCurve } from "./search_curve.js";
import { edgeKey, isHeadSlot, nodeKey, parseLocation, parseNodeKey } from "./node_locations.js";
import { locationActivations, quantileSnippets, tokenTexts, type Windows } from "./samples.js";
import type { LiveEnv, Workspace } from "./workspace.js";
import { badRequest } from "./http_error.js";

/** Pairs detailed in an evaluation when the request names none (the Task tab's first page). */
const DEFAULT_SHOWN_PAIRS = 8;
/** Pairs detailed in one evaluation at most (the Task tab pages through the rest). */
const MAX_SHOWN_PAIRS = 32;
/** Task pairs whose activations the node panel shows. */
const NODE_TASK_PAIRS = 6;
/** Requests may name at most this many edits (bounded work per request). */
const MAX_EDITS = 100_000;

/** A circuit after the browser's edits. */
interface EditedCircuit {
  id: number;
  /** Node values over the model's flat node numbering: 1 kept, 0 ablated. */
  mask: Float32Array;
  kept: number;
  /** Edges switched off by the user; edges still alive. */
  offEdges: CircuitEdge[];
  edges: CircuitEdge[];
  disabledNodes: Set<string>;
}

function applyEdits(ws: Workspace, edits: Edits): EditedCircuit {
  if (!Number.isInteger(edits.circuit)) throw new CspError("request: circuit must be a circuit id");
  const c = ws.circuit(edits.circuit);
  const { layout } = ws.requireModel();
  if (!Array.isArray(edits.disabledNodes) || !Array.isArray(edits.disabledEdges))
    throw new CspError("request: disabledNodes and disabledEdges must be arrays");
  if (edits.disabledNodes.length + edits.disabledEdges.length > MAX_EDITS)
    throw new CspError("request: too many edits");
  const mask = circuitMask(c.file, layout);
  const disabledNodes = new Set(edits.disabledNodes.map(String));
  // An edit naming something the circuit does not have is refused (400), never silently ignored.
  for (const key of disabledNodes) {
    const k = parseNodeKey(key);
    const site = k && layout.byName.get(k.loc);
    if (!k || !site || k.index >= site.width || mask[site.offset + k.index] !== 1)
      throw badRequest(`request: disabled node "${key}" is not a node of circuit ${edits.circuit}`);
    mask[site.offset + k.index] = 0;
  }
  const alive = (key: string) => {
    const k = parseNodeKey(key)!;
    return mask[layout.byName.get(k.loc)!.offset + k.index] === 1;
  };
  const offKeys = new Set(edits.disabledEdges.map(String));
  const known = new Set(c.file.edges.map((e) => edgeKey(e.src, e.dst)));
  for (const key of offKeys)
    if (!known.has(key))
      throw badRequest(`request: disabled edge "${key}" is not an edge of circuit ${edits.circuit}`);
  const offEdges = c.file.edges.filter((e) => offKeys.has(edgeKey(e.src, e.dst)));
  const edges = c.file.edges.filter(
    (e) => !offKeys.has(edgeKey(e.src, e.dst)) && alive(e.src) && alive(e.dst),
  );
  return { id: edits.circuit, mask, kept: mask.reduce((s, v) => s + v, 0), offEdges, edges, disabledNodes };
}

/** The pruning context with switched-off edges folded into the weights. */
function editedContext(live: LiveEnv, ed: EditedCircuit): PruneContext {
  const ctx = live.setup.ctx;
  if (ed.offEdges.length === 0) return ctx;
  const means = live.setup.means?.values;
  const kind = ctx.baselines.kind;
  const model = withEdgesAblated(ctx.model as Model, ed.offEdges, (loc, i) =>
    kind === "zero" || !means ? 0 : means.get(loc)![i],
  );
  return { ...ctx, model, frozen: model };
}

export function circuitView(ws: Workspace, id: number): CircuitView {
  const c = ws.circuit(id);
  const f = c.file;
  return {
    id,
    file: c.entry.file,
    modelPath: f.model.path,
    taskName: f.task.name,
    taskPath: f.task.path,
    method: f.method,
    ablation: f.ablation,
    control: f.control ? `${f.control.kind} (seed ${f.control.seed})` : "none",
    reached: f.reached,
    headline: c.entry.headline,
    targetLoss: f.target_loss,
    lossFull: f.loss_full,
    lossCircuit: f.loss_circuit,
    lossCalibrated: f.loss_calibrated,
    lossEmpty: f.loss_empty,
    calibrationScale: f.calibration.scale,
    evalSplit: f.eval.split,
    evalPairs: f.eval.pairs,
    nodeCount: f.num_nodes,
    modelNodes: f.total_nodes,
    nodes: f.nodes,
    edges: f.edges,
    nodeEffects: f.node_effects ?? {},
    layerEffects: f.layer_effects,
    effectsBase: f.effects.base_loss,
    effectsPairs: f.effects.pairs,
    liveError: c.entry.liveError,
    searchCurve: searchCurve(f),
    sweepCurve: sweepCurve(
      ws.circuits.flatMap((o) => (o.file ? [{ file: o.entry.file, circuit: o.file }] : [])),
    ),
    pruneConfig: f.prune_config,
  };
}

/** The loss's view of one sequence: the correct token against the alternative, from last-position logits. */
function binaryChoice(logits: Float32Array, seq: TaskSequence, cal?: Calibration): BinaryChoice {
  const c = cal ?? { scale: 1, shift: new Map<number, number>() };
  const margin = calibratedMargin(c, logits[seq.correct], logits[seq.alt], seq.correct, seq.alt);
  return { pCorrect: sigmoid(margin), pWrong: sigmoid(-margin), loss: softplus(-margin) };
}

/**
 * Task loss and predictions of the edited circuit on the headline pairs (the test split when the task has
 * one: viewer/headline.ts), against the full model. An edited prompt that cannot be run is reported in
 * `promptError`; the losses are still answered.
 */
export function editedCircuitLoss(ws: Workspace, req: EvaluateRequest): EvaluateResponse {
  const started = performance.now();
  const ed = applyEdits(ws, req);
  const live = ws.live(ed.id);
  const ctx = editedContext(live, ed);
  const seqs = live.seqs;
  const losses = circuitLosses({ ...live, ctx, seqs, mask: ed.mask });
  const nPairs = seqs.length / 2;
  const head = headline({
    split: live.split,
    pairs: nPairs,
    losses,
    lossFull: live.lossFull,
    targetLoss: ws.circuit(ed.id).file.target_loss,
  });
  const shown = (req.showPairs ?? [...Array(Math.min(DEFAULT_SHOWN_PAIRS, nPairs)).keys()])
    .filter((i) => Number.isInteger(i) && i >= 0 && i < nPairs)
    .slice(0, MAX_SHOWN_PAIRS);
  const response: EvaluateResponse = {
    sequences: seqs.length,
    split: head.split,
    pairCount: nPairs,
    reached: head.reached,
    lossFull: head.lossFull,
    lossCircuit: head.lossCircuit,
    lossCalibrated: head.lossCalibrated,
    nodes: ed.kept,
    edges: ed.edges.length,
    pairs: pairResults(
      live,
      ctx,
      ed,
      shown.map((i) => ({ index: i, a: seqs[2 * i], b: seqs[2 * i + 1] })),
    ),
    millis: 0,
  };
  if (req.prompt) {
    try {
      response.prompt = editedPrompt(live, ctx, ed, req.prompt);
    } catch (e) {
      if (!(e instanceof CspError)) throw e;
      response.promptError = e.message.split("\n")[0];
    }
  }
  response.millis = performance.now() - started;
  return response;
}

/**
 * A rewritten pair: texts left-truncated to the model's context as the task loader does (the dropped
 * counts are reported), targets one token each (default: pair `index`'s own).
 */
function editedPrompt(
  live: LiveEnv,
  ctx: PruneContext,
  ed: EditedCircuit,
  prompt: NonNullable<EvaluateRequest["prompt"]>,
): PairResult {
  const { index, textA, textB, targetA, targetB } = prompt;
  const nPairs = live.seqs.length / 2;
  if (!Number.isInteger(index) || index < 0 || index >= nPairs)
    throw new CspError(`edited prompt: no task pair ${index}`);
  if (typeof textA !== "string" || typeof textB !== "string")
    throw new CspError("edited prompt: texts must be strings");
  const tok = live.setup.tokenizer;
  const vocab = ctx.model.dims.vocab;
  const maxLen = Math.min(DEFAULT_TASK_MAX_LEN, ctx.model.dims.blockSize);
  const checkIds = (ids: number[], what: string) => {
    for (const id of ids)
      if (id >= vocab) throw new CspError(`edited prompt: ${what} has token ${id}, outside the vocabulary`);
  };
  const encode = (text: string, side: string) => {
    const all = tok.encode(text);
    if (all.length === 0) throw new CspError(`edited prompt: text ${side} is empty`);
    const ids = all.slice(-maxLen);
    checkIds(ids, `text ${side}`);
    return { ids: Int32Array.from(ids), dropped: all.length - ids.length };
  };
  const target = (text: string | undefined, fallback: number, side: string) => {
    if (text === undefined) return fallback;
    if (typeof text !== "string") throw new CspError(`edited prompt: target ${side} must be a string`);
    const ids = tok.encode(text);
    if (ids.length !== 1)
      throw new CspError(
        `edited prompt: target ${side} "${text}" is ${ids.length} tokens; a target must be exactly one token`,
      );
    checkIds(ids, `target ${side}`);
    return ids[0];
  };
  const correctA = target(targetA, live.seqs[2 * index].correct, "A");
  const correctB = target(targetB, live.seqs[2 * index + 1].correct, "B");
  if (correctA === correctB)
    throw new CspError(
      "edited prompt: targets A and B are the same token, so the task loss cannot tell them apart",
    );
  const a = encode(textA, "A");
  const b = encode(textB, "B");
  const [result] = pairResults(live, ctx, ed, [
    {
      index,
      a: { ids: a.ids, correct: correctA, alt: correctB },
      b: { ids: b.ids, correct: correctB, alt: correctA },
    },
  ]);
  return { ...result, droppedA: a.dropped, droppedB: b.dropped };
}

function pairResults(
  live: LiveEnv,
  ctx: PruneContext,
  ed: EditedCircuit,
  pairs: { index: number; a: TaskSequence; b: TaskSequence }[],
): PairResult[] {
  if (pairs.length === 0) return [];
  const ids = pairs.flatMap((p) => [p.a.ids, p.b.ids]);
  const all = new Float32Array(ed.mask.length).fill(1);
  const full = maskedLastLogits(live.setup.ctx, ids, all, live.draw);
  const circ = maskedLastLogits(ctx, ids, ed.mask, live.draw);
  const tok = live.setup.tokenizer;
  const text = (id: number) => tokenTexts([id], tok)[0];
  const top = (logits: Float32Array): Prediction[] =>
    topTokens(logits, 5).map((p) => ({ ...p, text: text(p.token) }));
  return pairs.map((p, j) => {
    const [fa, fb, ca, cb] = [full[2 * j], full[2 * j + 1], circ[2 * j], circ[2 * j + 1]];
    const side = (f: Float32Array, c: Float32Array, seq: TaskSequence) => ({
      full: binaryChoice(f, seq),
      circuit: binaryChoice(c, seq),
      calibrated: binaryChoice(c, seq, live.calibration),
    });
    const binaryA = side(fa, ca, p.a);
    const binaryB = side(fb, cb, p.b);
    const avg = (k: "full" | "circuit" | "calibrated") => (binaryA[k].loss + binaryB[k].loss) / 2;
    return {
      index: p.index,
      textA: tok.decode(p.a.ids),
      textB: tok.decode(p.b.ids),
      targetA: text(p.a.correct),
      targetB: text(p.b.correct),
      lossFull: avg("full"),
      lossCircuit: avg("circuit"),
      lossCalibrated: avg("calibrated"),
      binaryA,
      binaryB,
      topFullA: top(fa),
      topCircuitA: top(ca),
      topFullB: top(fb),
      topCircuitB: top(cb),
    };
  });
}

/** Pretraining activations of whole locations (full model), computed on first use. */
const locationCache = new WeakMap<Windows, Map<string, { data: Float32Array; width: number }>>();

export function nodeDetail(ws: Workspace, req: NodeRequest): NodeDetail {
  const ed = applyEdits(ws, req);
  const c = ws.circuit(ed.id);
  const { model, layout } = ws.requireModel();
  const { loc, index } = req;
  const site = typeof loc === "string" ? layout.byName.get(loc) : undefined;
  const p = site ? parseLocation(loc) : undefined;
  if (!site || !p || !Number.isInteger(index) || index < 0 || index >= site.width)
    throw new CspError(`request: ${String(loc)}:${String(index)} is not a node of this model`);
  const key = nodeKey(loc, index);
  const at = (c.file.nodes[loc] ?? []).indexOf(index);
  const detail: NodeDetail = {
    loc,
    index,
    inputs: c.file.edges.filter((e) => e.dst === key),
    outputs: c.file.edges.filter((e) => e.src === key),
    effect: at >= 0 ? c.file.node_effects?.[loc]?.[at] : undefined,
    mean: c.live?.setup.means?.values.get(loc)?.[index],
  };
  if (p.kind === "block" && isHeadSlot(p.slot)) {
    detail.head = Math.floor(index / model.dims.dHead);
    detail.headChannel = index % model.dims.dHead;
  }
  const w = ws.windows?.value;
  if (w) {
    let cache = locationCache.get(w);
    if (!cache) locationCache.set(w, (cache = new Map()));
    let acts = cache.get(loc);
    if (!acts) cache.set(loc, (acts = locationActivations(model, w, loc)));
    const a = acts;
    const channel = Float32Array.from({ length: w.n * w.t }, (_, r) => a.data[r * a.width + index]);
    detail.pretraining = quantileSnippets(channel, w, (ids) => tokenTexts(ids, ws.tokenizer));
  } else {
    detail.pretrainingError =
      ws.windows?.error ??
      "no pretraining text: pass --shard FILE or --corpus PATH (or run csp means for the model)";
  }
  try {
    detail.task = taskActivations(ws.live(ed.id), ed, loc, index);
  } catch (e) {
    if (!(e instanceof CspError)) throw e;
    detail.taskError = e.message;
  }
  return detail;
}

/** The node's activation on the first evaluation pairs under the edited circuit: A, B, and B − A. */
function taskActivations(live: LiveEnv, ed: EditedCircuit, loc: string, index: number): NodeDetail["task"] {
  const ctx = editedContext(live, ed);
  const tok = live.setup.tokenizer;
  const classA: Snippet[] = [];
  const classB: Snippet[] = [];
  const diff: Snippet[] = [];
  const n = Math.min(NODE_TASK_PAIRS, live.evalSeqs.length / 2);
  for (let i = 0; i < n; i++) {
    const [a, b] = [live.evalSeqs[2 * i].ids, live.evalSeqs[2 * i + 1].ids];
    const [actA, actB] = [a, b].map((ids) => {
      const h = maskedActivations(ctx, ids, ed.mask, live.draw, loc);
      return Float32Array.from({ length: ids.length }, (_, r) => h.data[r * h.width + index]);
    });
    const snip = (ids: Int32Array, act: Float32Array): Snippet => ({
      tokens: tokenTexts(ids, tok).map((text, j) => ({ text, act: act[j] })),
      focus: ids.length - 1,
    });
    classA.push(snip(a, actA));
    classB.push(snip(b, actB));
    // B's positions aligned to A's from the end (the prediction point is last in both).
    const offset = b.length - a.length;
    const d = Float32Array.from(actB, (v, j) =>
      j - offset >= 0 && j - offset < actA.length ? v - actA[j - offset] : 0,
    );
    diff.push(snip(b, d));
  }
  return { classA, classB, diff };
}

/**
 * The circuit with the browser's edits applied, as a circuit file: switched-off nodes leave `nodes`,
 * their edges and effects; switched-off edges leave `edges` and are listed under `ablated_edges`; the
 * losses are re-evaluated on the same pairs when the circuit can be evaluated.
 */
export function exportCircuit(ws: Workspace, edits: Edits): Record<string, unknown> {
  const ed = applyEdits(ws, edits);
  const c = ws.circuit(ed.id).file;
  const nodes: Record<string, number[]> = {};
  const effects: Record<string, number[]> = {};
  for (const [loc, list] of Object.entries(c.nodes)) {
    const keep = list.map((i) => !ed.disabledNodes.has(nodeKey(loc, i)));
    nodes[loc] = list.filter((_, j) => keep[j]);
    const eff = c.node_effects?.[loc];
    if (eff) effects[loc] = eff.filter((_, j) => keep[j]);
  }
  const alive = (key: string) => !ed.disabledNodes.has(key);
  const out: Record<string, unknown> = {
    ...c,
    nodes,
    num_nodes: ed.kept,
    num_edges: ed.edges.length,
    edges: ed.edges,
    residual_links: c.residual_links.filter((l) => alive(l.src) && alive(l.dst)),
    node_effects: c.node_effects ? effects : null,
    edited: {
      from: ws.circuits[ed.id].entry.file,
      disabled_nodes: [...ed.disabledNodes],
      disabled_edges: ed.offEdges.map((e) => edgeKey(e.src, e.dst)),
      note: "loss_*, reached and eval are the viewer's re-evaluation (uncalibrated loss decides reached); node_effects, layer_effects, effects and search_log are those of the original circuit",
    },
  };
  if (ed.offEdges.length > 0) out.ablated_edges = ed.offEdges;
  if (ws.circuits[ed.id].live) {
    // The viewer's headline, as the page shows it: losses on the headline pairs (test split when the task
    // has one), `reached` from the uncalibrated loss only; `eval` says which pairs.
    const r = editedCircuitLoss(ws, { ...edits, showPairs: [] });
    out.loss_full = r.lossFull;
    out.loss_circuit = r.lossCircuit;
    out.loss_calibrated = r.lossCalibrated;
    out.reached = r.reached;
    out.eval = { split: r.split, pairs: r.pairCount };
    out.edited = {
      ...(out.edited as object),
      original: { reached: c.reached, loss_circuit: c.loss_circuit, eval: c.eval },
    };
  }
  return out;
}
