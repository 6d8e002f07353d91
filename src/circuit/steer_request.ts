import { bridgesPath, readBridges, type Bridges } from "../model/bridges_file.js";
import { loadModel } from "../model/checkpoint.js";
import type { Model } from "../model/model.js";
import { weightsHash } from "../model/model_hash.js";
import { loadModelTokenizer } from "../model/model_tokenizer.js";
import { CspError } from "../errors.js";
import { loadTask } from "../tasks/load.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { nodeLayout } from "./nodes.js";
import { readCircuit } from "./read.js";
import {
  meanProbability,
  nodeName,
  parseBridgedNode,
  steer,
  type BridgedNode,
  type SteerExample,
} from "./steer.js";

/** What `csp steer` (and a viewer route) asks for; exactly one of prompt / task. */
export interface SteerRequest {
  /** The bridged sparse model's directory (holds bridges.safetensors). */
  model: string;
  dense: string;
  /** SITE:INDEX, e.g. "1.attn.act_in:5". */
  node: string;
  /** A circuit file of the sparse model: the node must be one of its nodes. */
  circuit?: string;
  /** The tokenizer directory; default: found beside the sparse model. */
  tokenizer?: string;
  prompt?: string;
  /** A task file: each pair steers A toward B and B toward A; candidates are the pair's two answers. */
  task?: string;
  /** The task split to use (default "test"). */
  split?: string;
  counterfactual?: string;
  value?: number;
  /** With --prompt: the candidate tokens (each one token). */
  candidates?: string[];
  strengths: number[];
}

/** JSON-ready steering result. */
export interface SteerReport {
  node: string;
  strengths: number[];
  /** The candidate tokens' texts, per example (task: [answer of the prompt, answer of the counterfactual]). */
  candidates: string[][];
  examples: number;
  /** [strength][example][candidate] */
  dense: number[][][];
  sparse: number[][][];
  /** Per strength, the mean over examples of each candidate column. */
  denseMean: number[][];
  sparseMean: number[][];
  meanAbsDelta: number;
}

function singleToken(tok: Tokenizer, text: string, what: string): number {
  const ids = tok.encode(text);
  if (ids.length !== 1) throw new CspError(`${what} "${text}" is ${ids.length} tokens, expected one`);
  return ids[0];
}

/** Refuses a node that is not among the nodes of the circuit file (checked against the sparse model). */
function checkNodeInCircuit(path: string, node: BridgedNode, sparse: Model): void {
  const circuit = readCircuit(path, { model: sparse, layout: nodeLayout(sparse.dims) });
  const site = `${node.layer}.${node.sublayer}.act_in`;
  const kept = circuit.nodes[site] ?? [];
  if (!kept.includes(node.index)) {
    const have = kept.length ? `its ${site} nodes: ${kept.join(", ")}` : `it has no ${site} nodes`;
    throw new CspError(`${path}: node ${nodeName(node)} is not in the circuit (${have})`);
  }
}

/** The bridged sparse model, the dense model and the bridges that join them. */
export interface SteerModels {
  sparse: Model;
  dense: Model;
  bridges: Bridges;
}

/** Loads `r.model`, `r.dense` and the bridges beside the model, checked against both. */
export function loadSteerModels(r: Pick<SteerRequest, "model" | "dense">): SteerModels {
  const sparse = loadModel(r.model);
  const dense = loadModel(r.dense);
  return { sparse, dense, bridges: readBridges(bridgesPath(r.model), sparse, dense, weightsHash(dense)) };
}

/**
 * Loads the examples (and, unless `models` is given already loaded from `r.model` and `r.dense`, the
 * models and bridges), steers, and summarises.
 */
export function steerFromRequest(r: SteerRequest, models?: SteerModels): SteerReport {
  if ((r.prompt === undefined) === (r.task === undefined))
    throw new CspError("give exactly one of --prompt and --task");
  if (r.prompt !== undefined && (r.counterfactual === undefined) === (r.value === undefined))
    throw new CspError("with --prompt, give exactly one of --counterfactual and --value");
  const { sparse, dense, bridges } = models ?? loadSteerModels(r);
  const node = parseBridgedNode(r.node, sparse);
  if (r.circuit !== undefined) checkNodeInCircuit(r.circuit, node, sparse);
  const tok = loadModelTokenizer(r.model, { vocab: sparse.dims.vocab, tokenizerDir: r.tokenizer });
  const examples: SteerExample[] = [];
  const texts: string[][] = [];
  if (r.prompt !== undefined) {
    if (!r.candidates?.length)
      throw new CspError("with --prompt, --candidates TOKEN... names the tokens to read out");
    const candidates = r.candidates.map((c) => singleToken(tok, c, "--candidates"));
    const cf = r.counterfactual === undefined ? undefined : Int32Array.from(tok.encode(r.counterfactual));
    examples.push({
      prompt: Int32Array.from(tok.encode(r.prompt)),
      counterfactual: cf,
      value: r.value,
      candidates,
    });
    texts.push(r.candidates);
  } else {
    const split = r.split ?? "test";
    const pairs = loadTask(r.task!, tok).pairs.filter((p) => p.split === split);
    if (pairs.length === 0) throw new CspError(`${r.task}: no pairs in split "${split}"`);
    for (const p of pairs) {
      if (p.a.length !== p.b.length) continue; // steering needs aligned positions
      const names = [tok.decode([p.aNext]), tok.decode([p.bNext])];
      examples.push({ prompt: p.a, counterfactual: p.b, candidates: [p.aNext, p.bNext] });
      examples.push({ prompt: p.b, counterfactual: p.a, candidates: [p.bNext, p.aNext] });
      texts.push(names, [names[1], names[0]]);
    }
    if (examples.length === 0) throw new CspError(`${r.task}: no pair has A and B of the same length`);
  }
  const res = steer({ sparse, dense, bridges, node, examples, strengths: r.strengths });
  const nCand = examples[0].candidates.length;
  const means = (x: number[][][]) => {
    const cols = [...Array(nCand).keys()].map((c) => meanProbability(x, c));
    return r.strengths.map((_, si) => cols.map((col) => col[si]));
  };
  return {
    node: res.node,
    strengths: r.strengths,
    candidates: texts,
    examples: examples.length,
    dense: res.dense,
    sparse: res.sparse,
    denseMean: means(res.dense),
    sparseMean: means(res.sparse),
    meanAbsDelta: res.meanAbsDelta.reduce((s, d) => s + d, 0) / res.meanAbsDelta.length,
  };
}
