import type { IncomingMessage } from "node:http";
import type { ComputeOp } from "./compute_ops.js";
import type { Workspace } from "./workspace.js";

/** What a route handler is given. */
export interface ApiCall {
  ws: Workspace;
  /** The `:id` segments of the route's path, in order. */
  ids: number[];
  /** The JSON object a POST sent ({} for GET). */
  body: Record<string, unknown>;
  req: IncomingMessage;
  /** Runs a model computation (compute_ops.ts) in the compute worker; resolves with its JSON answer. */
  compute(op: ComputeOp, body: unknown): Promise<RawReply>;
  /** Forgets cached responses whose API path (`circuit/3`) starts with this, after a change to what they show. */
  invalidate(pathPrefix: string): void;
}

/** A reply the route has already serialised (JSON text from the worker, or file bytes). */
export class RawReply {
  constructor(
    readonly body: string | Buffer,
    readonly type = "application/json; charset=utf-8",
  ) {}
}

/** One route of the JSON API. */
export interface ApiRoute {
  method: "GET" | "POST";
  /**
   * The path under /api/, segments separated by "/". A `:id` segment matches only a canonical
   * non-negative decimal integer (`0`, `17`; not `01`, `1e0`, `1.0`, `-0`), passed in `call.ids`.
   */
  path: string;
  /** The answer cannot change while the server runs (unless invalidated): built once, sent with an ETag. */
  cache?: boolean;
  /** A JSON value to send, or a RawReply. */
  handle(call: ApiCall): unknown;
}

/** Canonical non-negative decimal integers below 10⁹ (ids and channel numbers). */
const CANONICAL_ID = /^(0|[1-9]\d{0,8})$/;

/** The route that answers `method` on `parts` (the path after /api/, split at "/"), with its ids. */
export function matchRoute(
  routes: readonly ApiRoute[],
  method: string,
  parts: readonly string[],
): { route: ApiRoute; ids: number[] } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.path.split("/");
    if (pattern.length !== parts.length) continue;
    const ids: number[] = [];
    const fits = pattern.every((seg, i) => {
      if (seg !== ":id") return seg === parts[i];
      if (!CANONICAL_ID.test(parts[i])) return false;
      ids.push(Number(parts[i]));
      return true;
    });
    if (fits) return { route, ids };
  }
  return undefined;
}
