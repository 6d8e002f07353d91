/**
 * The compute worker's entry point (a worker_threads worker started by compute_queue.ts). It loads its
 * own Workspace (model, tasks, means) once, then answers jobs {id, op, body} one at a time in arrival
 * order with {id, json} or {id, status, message}. A failed job leaves nothing behind: every operation
 * builds its edited model and masks afresh from the request.
 */
import { parentPort, workerData } from "node:worker_threads";
import { COMPUTE_OPS, type ComputeOp } from "./compute_ops.js";
import { statusOf } from "./http_reply.js";
import { Workspace, type ViewerOptions } from "./workspace.js";

/** What the worker is sent, and what it answers. */
export interface ComputeJob {
  id: number;
  op: ComputeOp;
  body: unknown;
}
export type ComputeAnswer =
  | { id: number; json: string }
  | { id: number; status: number; message: string }
  | { ready: true }
  | { fatal: string };

const port = parentPort!;
const post = (m: ComputeAnswer) => port.postMessage(m);

let ws: Workspace;
try {
  ws = new Workspace((workerData as { options: ViewerOptions }).options);
  post({ ready: true });
} catch (e) {
  post({ fatal: (e as Error).message.split("\n")[0] });
  throw e;
}

port.on("message", (job: ComputeJob) => {
  try {
    const run = COMPUTE_OPS[job.op] as ((w: Workspace, b: unknown) => unknown) | undefined;
    if (!run) throw new Error(`unknown compute operation ${JSON.stringify(job.op)}`);
    // Serialised here, so the request thread only copies a string.
    post({ id: job.id, json: JSON.stringify(run(ws, job.body)) });
  } catch (e) {
    const status = statusOf(e);
    if (status === 500) console.error(e);
    post({ id: job.id, status, message: String((e as Error).message ?? e).split("\n")[0] });
  }
});
