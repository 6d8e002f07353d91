import {
  loadSteerModels,
  steerFromRequest,
  type SteerModels,
  type SteerReport,
} from "../circuit/steer_request.js";
import type { SteerViewRequest } from "./api_types.js";
import { badRequest } from "./http_error.js";
import type { Workspace } from "./workspace.js";

/**
 * Steering the dense model from the viewer (`csp view --dense DIR`; docs/bridges.md): the checks of a
 * request and the compute operation that runs `steerFromRequest` (what the session says: steer_info.ts).
 */

const BRIDGED_NODE = /^\d+\.(attn|mlp)\.act_in:\d+$/;
const MAX_STRENGTHS = 16;
const MAX_CANDIDATES = 8;
const MAX_TEXT = 4000;

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= MAX_TEXT;

/** A checked POST /api/steer body; every refusal is a one-line 400. */
export function checkSteerRequest(ws: Workspace, body: Record<string, unknown>): SteerViewRequest {
  if (ws.options.dense === undefined)
    throw badRequest("steering needs the dense model: start the viewer with csp view --dense DIR");
  const { circuit, node, prompt, counterfactual, value, candidates, strengths } = body;
  if (!Number.isInteger(circuit)) throw badRequest("circuit must be a circuit id");
  if (typeof node !== "string" || !BRIDGED_NODE.test(node))
    throw badRequest(
      `node ${JSON.stringify(node)} is not bridged: bridges carry the sublayer inputs {layer}.attn.act_in:C and {layer}.mlp.act_in:C`,
    );
  if (!isText(prompt)) throw badRequest("prompt must be a non-empty string");
  const hasValue = value !== undefined && value !== null;
  if ((counterfactual !== undefined) === hasValue)
    throw badRequest("give exactly one of counterfactual and value");
  if (counterfactual !== undefined && !isText(counterfactual))
    throw badRequest("counterfactual must be a non-empty string");
  if (hasValue && !(typeof value === "number" && Number.isFinite(value)))
    throw badRequest("value must be a finite number");
  if (
    !Array.isArray(candidates) ||
    candidates.length === 0 ||
    candidates.length > MAX_CANDIDATES ||
    !candidates.every(isText)
  )
    throw badRequest(`candidates must be 1 to ${MAX_CANDIDATES} token texts`);
  if (
    !Array.isArray(strengths) ||
    strengths.length === 0 ||
    strengths.length > MAX_STRENGTHS ||
    !strengths.every((s) => typeof s === "number" && Number.isFinite(s))
  )
    throw badRequest(`strengths must be 1 to ${MAX_STRENGTHS} finite numbers`);
  return {
    circuit: circuit as number,
    node,
    prompt,
    counterfactual: counterfactual as string | undefined,
    value: hasValue ? (value as number) : undefined,
    candidates: candidates as string[],
    strengths: strengths as number[],
  };
}

/** The worker's models per (bridged model, dense model) directory pair: loaded once, not per request. */
const loaded = new WeakMap<Workspace, Map<string, SteerModels>>();

function steerModels(ws: Workspace, model: string, dense: string): SteerModels {
  let perWorkspace = loaded.get(ws);
  if (!perWorkspace) loaded.set(ws, (perWorkspace = new Map()));
  const key = `${model}\0${dense}`;
  let models = perWorkspace.get(key);
  if (!models) perWorkspace.set(key, (models = loadSteerModels({ model, dense })));
  return models;
}

/** The compute operation: steers through the bridges of the circuit's model (checked in circuit too). */
export function steerNode(ws: Workspace, body: unknown): SteerReport {
  const r = checkSteerRequest(ws, body as Record<string, unknown>);
  const c = ws.circuit(r.circuit);
  const model = c.modelDir ?? ws.requireModel().dir;
  const dense = ws.options.dense!;
  const request = {
    model,
    dense,
    node: r.node,
    circuit: c.entry.file,
    tokenizer: ws.options.tokenizer,
    prompt: r.prompt,
    counterfactual: r.counterfactual,
    value: r.value,
    candidates: r.candidates,
    strengths: r.strengths,
  };
  return steerFromRequest(request, steerModels(ws, model, dense));
}

/** What the route is given (an ApiCall, named structurally: api_route.ts imports the compute operations). */
interface SteerCall<T> {
  ws: Workspace;
  body: Record<string, unknown>;
  compute(op: "steer", body: unknown): Promise<T>;
}

/** POST /api/steer: refuses a bad request here, before it waits in the compute queue. */
export function steerRoute<T>(c: SteerCall<T>): Promise<T> {
  checkSteerRequest(c.ws, c.body);
  return c.compute("steer", c.body);
}
