import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CspError } from "../errors.js";
import type { NoteRequest } from "./api_types.js";
import { matchRoute, RawReply, type ApiCall, type ApiRoute } from "./api_route.js";
import { ComputeQueue } from "./compute_queue.js";
import { embeddingChannel } from "./embedding.js";
import { HttpError } from "./http_error.js";
import { etagOf, readJsonObject, send, sendError, sendPage } from "./http_reply.js";
import { circuitView } from "./live.js";
import { circuitNotes, saveNodeNote } from "./notes_route.js";
import { PANELS, registerPanels } from "./panel_routes.js";
import { guardRequest, isLoopbackAddress, type GuardConfig } from "./request_guard.js";
import { tokenTexts } from "./samples.js";
import { steerRoute } from "./steer_view.js";
import { defaultAssetsDir, loadAssets, withSessionToken, type Asset } from "./static_files.js";
import { Workspace, type EvaluatedStatus, type ViewerOptions } from "./workspace.js";

export interface ServeOptions extends ViewerOptions {
  /** Default 127.0.0.1: the viewer is local. */
  host?: string;
  /** Default 8642; 0 picks a free port. */
  port?: number;
  /** The built front end; default `dist/viewer` of this package. */
  assetsDir?: string;
  /** Allow a `host` that is not a loopback address (the viewer has no login: anyone who can reach it can use it). */
  allowRemote?: boolean;
}

export interface RunningViewer {
  server: Server;
  url: string;
  workspace: Workspace;
  /** This session's token: requests without an Origin header (scripts) send it as `x-csp-token`. */
  token: string;
  close(): Promise<void>;
}

/**
 * The JSON API under /api/. Model computations go to the compute worker (`call.compute`); everything
 * else answers from what the workspace loaded at start. One line per route.
 */
const ROUTES: ApiRoute[] = [
  { method: "GET", path: "session", handle: (c) => c.ws.session() },
  { method: "GET", path: "circuit/:id", cache: true, handle: (c) => circuitView(c.ws, c.ids[0]) },
  { method: "GET", path: "file/circuit/:id", handle: (c) => circuitFile(c) },
  { method: "GET", path: "embedding/:id", cache: true, handle: (c) => embedding(c) },
  { method: "POST", path: "evaluate", handle: (c) => c.compute("evaluate", c.body) },
  { method: "POST", path: "node", handle: (c) => c.compute("node", c.body) },
  { method: "POST", path: "export", handle: (c) => exportWithNotes(c) },
  { method: "GET", path: "notes/:id", handle: (c) => circuitNotes(c.ws, c.ids[0]) },
  { method: "POST", path: "notes", handle: (c) => saveNote(c) },
  { method: "POST", path: "steer", handle: (c) => steerRoute(c) },
  { method: "GET", path: "metrics", handle: PANELS.metrics },
  { method: "GET", path: "wpe", cache: true, handle: (c) => c.compute("wpe", {}) },
  { method: "GET", path: "channels", cache: true, handle: (c) => c.compute("channels", {}) },
  { method: "GET", path: "study", handle: PANELS.study },
  { method: "POST", path: "study/cell/:id/open", handle: PANELS.openCell },
  { method: "GET", path: "trajectory", cache: true, handle: PANELS.trajectory },
  { method: "POST", path: "trajectory/snapshot/:id/open", handle: PANELS.openSnapshot },
];

/** The raw circuit file, by id: only files named on the command line are reachable. */
function circuitFile(c: ApiCall): RawReply {
  const entry = c.ws.circuits[c.ids[0]]?.entry;
  if (!entry) throw new HttpError(404, `not found: no circuit file ${c.ids[0]}`);
  return new RawReply(readFileSync(entry.file), "application/json");
}

function embedding(c: ApiCall): unknown {
  const { model } = c.ws.requireModel();
  return embeddingChannel(model, c.ids[0], (t) => tokenTexts([t], c.ws.tokenizer)[0]);
}

/** Notes are saved by this thread; the worker's copy of the circuit predates them, so they are set here. */
async function exportWithNotes(c: ApiCall): Promise<unknown> {
  const out = JSON.parse((await c.compute("export", c.body)).body as string) as Record<string, unknown>;
  const notes = Number.isInteger(c.body.circuit)
    ? c.ws.circuits[c.body.circuit as number]?.file?.notes
    : undefined;
  if (notes && Object.keys(notes).length > 0) out.notes = notes;
  else delete out.notes;
  return out;
}

function saveNote(c: ApiCall): unknown {
  const saved = saveNodeNote(c.ws, c.body as unknown as NoteRequest);
  c.invalidate(`circuit/${String(c.body.circuit)}`);
  return saved;
}

/** Loads everything and starts listening; resolves once the port is bound and the compute worker is ready. */
export async function startViewer(opts: ServeOptions): Promise<RunningViewer> {
  const host = opts.host ?? "127.0.0.1";
  if (!isLoopbackAddress(host) && !opts.allowRemote)
    throw new CspError(
      `refusing to serve on ${host}: it is not a loopback address and the viewer has no login ` +
        `(anyone who can reach it could read the circuits and run the model); pass --allow-remote to do it anyway`,
    );
  const { host: _h, port: _p, assetsDir: _a, allowRemote: _r, ...viewerOptions } = opts;
  const compute = new ComputeQueue(viewerOptions);
  // The worker loads the model, tasks and means and computes every circuit's unedited headline while
  // this thread reads what light requests need (circuit files, the model, the tokenizer) and nothing else.
  const computeReady = compute.start();
  computeReady.catch(() => undefined);
  let workspace: Workspace;
  try {
    workspace = new Workspace(viewerOptions, { evaluate: false });
    workspace.session(); // reads the --dense model and checks its bridges now, before any request waits on it
    await computeReady;
    workspace.applyEvaluatedStatus(JSON.parse(await compute.run("status", {})) as EvaluatedStatus);
  } catch (e) {
    await compute.close();
    throw e instanceof CspError ? e : new CspError(`viewer: ${(e as Error).message}`);
  }
  const token = randomBytes(24).toString("base64url");
  const assets = withSessionToken(loadAssets(opts.assetsDir ?? defaultAssetsDir()), token);
  const guard: GuardConfig = { address: "", port: 0, token };
  const cache = new Map<string, { body: string | Buffer; type: string; etag: string }>();
  const server = createServer((req, res) => {
    handle({ workspace, assets, guard, compute, cache }, req, res).catch((e) => sendError(res, e));
  });
  const { assetsDir, allowRemote } = opts;
  registerPanels(workspace, { server, start: startViewer, host: opts.host, assetsDir, allowRemote });
  try {
    await new Promise<void>((ok, fail) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        fail(new CspError(`cannot listen on ${host}:${opts.port ?? 8642} (${e.code ?? e.message})`)),
      );
      server.listen(opts.port ?? 8642, host, () => ok());
    });
  } catch (e) {
    await compute.close();
    throw e;
  }
  const { port, address } = server.address() as AddressInfo;
  Object.assign(guard, { address, port });
  const shownHost = address.includes(":") ? `[${address}]` : address;
  return {
    server,
    url: `http://${shownHost}:${port}/`,
    workspace,
    token,
    close: async () => {
      await compute.close();
      await new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      });
    },
  };
}

interface ServerState {
  workspace: Workspace;
  assets: Map<string, Asset>;
  guard: GuardConfig;
  compute: ComputeQueue;
  cache: Map<string, { body: string | Buffer; type: string; etag: string }>;
}

async function handle(s: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new HttpError(400, "malformed URL");
  }
  // Host, Origin and token are checked before anything is routed.
  guardRequest(req, path, s.guard);
  // Nothing here maps to the file system, but say so plainly for traversal attempts.
  if (path.includes("..") || path.includes("\\") || path.includes("\0"))
    throw new HttpError(403, "forbidden path");
  const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
  if (path.startsWith("/api/")) return api(s, method, path.slice(5), req, res);

  if (method !== "GET") throw new HttpError(405, "method not allowed");
  const asset = s.assets.get(path === "/" ? "/index.html" : path);
  if (asset) return send(res, 200, asset.body, asset.type, asset.etag);
  if (path === "/") {
    return sendPage(
      res,
      500,
      "Front end not built",
      "The viewer's front end is missing. Build it with <code>npm run build</code> (it runs the viewer build).",
    );
  }
  throw new HttpError(404, `not found: ${path}`);
}

async function api(
  s: ServerState,
  method: string,
  route: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const parts = route.split("/");
  const match = matchRoute(ROUTES, method, parts);
  if (!match) throw new HttpError(404, `not found: ${method} /api/${route}`);
  const cached = match.route.cache ? s.cache.get(route) : undefined;
  if (cached) return send(res, 200, cached.body, cached.type, cached.etag);
  const call: ApiCall = {
    ws: s.workspace,
    ids: match.ids,
    body: method === "POST" ? await readJsonObject(req) : {},
    req,
    compute: async (op, body) => {
      const json = await s.compute.run(op, body, () => res.destroyed || res.writableEnded);
      return new RawReply(json);
    },
    invalidate: (prefix) => {
      for (const key of [...s.cache.keys()]) if (key.startsWith(prefix)) s.cache.delete(key);
    },
  };
  const value = await match.route.handle(call);
  const reply = value instanceof RawReply ? value : new RawReply(JSON.stringify(value));
  if (!match.route.cache) return send(res, 200, reply.body, reply.type);
  const entry = { body: reply.body, type: reply.type, etag: etagOf(reply.body) };
  s.cache.set(route, entry);
  send(res, 200, entry.body, entry.type, entry.etag);
}
