import type { Worker } from "node:worker_threads";
import type { ComputeOp } from "./compute_ops.js";
import type { ComputeAnswer, ComputeJob } from "./compute_worker.js";
import { HttpError } from "./http_error.js";
import { startModuleWorker } from "./module_worker.js";
import type { ViewerOptions } from "./workspace.js";

/** Jobs waiting beyond this many are refused with 503 (bounded memory; a page sends a few at a time). */
const MAX_WAITING = 64;

interface Pending {
  id: number;
  op: ComputeOp;
  body: unknown;
  /** True once nobody waits for the answer (the client went away): skipped when its turn comes. */
  abandoned: () => boolean;
  ok: (json: string) => void;
  fail: (e: Error) => void;
}

/**
 * Runs compute operations (compute_ops.ts) off the request thread, in one worker holding its own copy of
 * the model, one job at a time in arrival order (first come, first served: no request can starve another).
 * A job that fails answers with its error and the next one runs as usual; a worker that dies is replaced
 * for the next job.
 */
export class ComputeQueue {
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly waiting: Pending[] = [];
  private running?: Pending;
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: ViewerOptions) {}

  /** Starts the worker (loading the model there); resolves once it can take jobs. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = startModuleWorker("compute_worker", import.meta.url, {
      workerData: { options: this.options },
    });
    this.worker = worker;
    this.ready = new Promise<void>((ok, fail) => {
      worker.on("message", (m: ComputeAnswer) => {
        if ("ready" in m) ok();
        else if ("fatal" in m) fail(new Error(`compute worker could not start: ${m.fatal}`));
        else this.answer(m);
      });
      worker.once("error", (e) => {
        fail(e);
        this.lost(`compute worker failed: ${e.message}`);
      });
      worker.once("exit", (code) => {
        fail(new Error(`compute worker exited (${code}) before it was ready`));
        this.lost(`compute worker exited (${code})`);
      });
    });
    return this.ready;
  }

  /** Queues a job; resolves with its answer as JSON text, or rejects with the job's own error. */
  run(op: ComputeOp, body: unknown, abandoned: () => boolean = () => false): Promise<string> {
    if (this.closed) return Promise.reject(new HttpError(503, "the viewer is shutting down"));
    if (this.waiting.length >= MAX_WAITING)
      return Promise.reject(new HttpError(503, "busy: too many computations waiting, try again"));
    return new Promise<string>((ok, fail) => {
      this.waiting.push({ id: this.nextId++, op, body, abandoned, ok, fail });
      this.pump();
    });
  }

  /** Jobs waiting or running. */
  get load(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.fail(new HttpError(503, "the viewer is shutting down"));
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (w) {
      w.removeAllListeners("exit");
      w.removeAllListeners("error");
      w.on("error", () => undefined);
      await w.terminate();
    }
  }

  private pump(): void {
    if (this.running || this.closed) return;
    let job = this.waiting.shift();
    while (job && job.abandoned()) {
      job.fail(new HttpError(503, "abandoned by the client"));
      job = this.waiting.shift();
    }
    if (!job) return;
    this.running = job;
    const sent = job;
    this.start().then(
      () => {
        if (this.running === sent)
          this.worker!.postMessage({ id: sent.id, op: sent.op, body: sent.body } satisfies ComputeJob);
      },
      (e: Error) => this.finish(sent, () => sent.fail(e)),
    );
  }

  private answer(m: Exclude<ComputeAnswer, { ready: true } | { fatal: string }>): void {
    const job = this.running;
    if (!job || job.id !== m.id) return;
    this.finish(job, () => ("json" in m ? job.ok(m.json) : job.fail(new HttpError(m.status, m.message))));
  }

  private finish(job: Pending, settle: () => void): void {
    if (this.running === job) this.running = undefined;
    settle();
    this.pump();
  }

  /** The worker is gone: the running job fails, and the next job starts a new worker. */
  private lost(reason: string): void {
    this.worker = undefined;
    this.ready = undefined;
    const job = this.running;
    if (job) this.finish(job, () => job.fail(new Error(reason)));
  }
}
