import type { Edits, EvaluateRequest, NodeRequest } from "./api_types.js";
import { channelCounts } from "./channel_counts.js";
import { editedCircuitLoss, exportCircuit, nodeDetail } from "./live.js";
import { steerNode } from "./steer_view.js";
import type { Workspace } from "./workspace.js";
import { wpeView } from "./wpe.js";

/**
 * The operations that run the model, by name. They run in the compute worker (compute_worker.ts), one
 * at a time in arrival order, on the worker's own Workspace; a route starts one with `call.compute(op, body)`.
 * Add an operation here and route to it in server.ts.
 */
export const COMPUTE_OPS = {
  evaluate: (ws: Workspace, body: unknown) => editedCircuitLoss(ws, body as EvaluateRequest),
  node: (ws: Workspace, body: unknown) => nodeDetail(ws, body as NodeRequest),
  export: (ws: Workspace, body: unknown) => exportCircuit(ws, body as Edits),
  steer: (ws: Workspace, body: unknown) => steerNode(ws, body),
  /** Unedited headlines and the snippet source, asked once at start by the request thread. */
  status: (ws: Workspace) => ws.evaluatedStatus(),
  wpe: (ws: Workspace) => wpeView(ws.requireModel().model),
  channels: (ws: Workspace) => channelCounts(ws.requireModel().model),
} satisfies Record<string, (ws: Workspace, body: unknown) => unknown>;

export type ComputeOp = keyof typeof COMPUTE_OPS;
