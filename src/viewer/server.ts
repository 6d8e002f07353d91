import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CspError } from "../errors.js";
import type { EvaluateRequest, NodeRequest } from "./api_types.js";
import { embeddingChannel } from "./embedding.js";
import { circuitView, editedCircuitLoss, exportCircuit, nodeDetail } from "./live.js";
import { tokenTexts } from "./samples.js";
import { defaultAssetsDir, loadAssets, type Asset } from "./static_files.js";
import { Workspace, type ViewerOptions } from "./workspace.js";

/** Request bodies larger than this are refused (the API sends edits, not data). */
const MAX_BODY_BYTES = 1 << 20;

export interface ServeOptions extends ViewerOptions {
  /** Default 127.0.0.1: the viewer is local. */
  host?: string;
  /** Default 8642; 0 picks a free port. */
  port?: number;
  /** The built front end; default `dist/viewer` of this package. */
  assetsDir?: string;
}

export interface RunningViewer {
  server: Server;
  url: string;
  workspace: Workspace;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Loads everything and starts listening; resolves once the port is bound. */
export async function startViewer(opts: ServeOptions): Promise<RunningViewer> {
  const workspace = new Workspace(opts);
  const assets = loadAssets(opts.assetsDir ?? defaultAssetsDir());
  const server = createServer((req, res) => {
    handle(workspace, assets, req, res).catch((e) => sendError(res, e));
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((ok, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      fail(new CspError(`cannot listen on ${host}:${opts.port ?? 8642} (${e.code ?? e.message})`)),
    );
    server.listen(opts.port ?? 8642, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${port}/`,
    workspace,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function handle(
  ws: Workspace,
  assets: Map<string, Asset>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new HttpError(400, "malformed URL");
  }
  // Nothing here maps to the file system, but say so plainly for traversal attempts.
  if (path.includes("..") || path.includes("\\") || path.includes("\0"))
    throw new HttpError(403, "forbidden path");
  const method = req.method ?? "GET";

  if (path.startsWith("/api/")) {
    const route = path.slice(5);
    const num = (s: string | undefined) => {
      const n = Number(s);
      if (s === undefined || s === "" || !Number.isInteger(n) || n < 0)
        throw new HttpError(404, `not found: ${path}`);
      return n;
    };
    const parts = route.split("/");
    if (method === "GET" && route === "session") return sendJson(res, 200, ws.session());
    if (method === "GET" && parts[0] === "circuit" && parts.length === 2) {
      return sendJson(res, 200, circuitView(ws, num(parts[1])));
    }
    if (method === "GET" && parts[0] === "file" && parts[1] === "circuit" && parts.length === 3) {
      // The raw circuit file, by id: only files named on the command line are reachable.
      const entry = ws.circuits[num(parts[2])]?.entry;
      if (!entry) throw new HttpError(404, `not found: ${path}`);
      return send(res, 200, readFileSync(entry.file), "application/json");
    }
    if (method === "GET" && parts[0] === "embedding" && parts.length === 2) {
      const { model } = ws.requireModel();
      return sendJson(
        res,
        200,
        embeddingChannel(model, num(parts[1]), (t) => tokenTexts([t], ws.tokenizer)[0]),
      );
    }
    if (method === "POST" && route === "evaluate")
      return sendJson(res, 200, editedCircuitLoss(ws, await readJson<EvaluateRequest>(req)));
    if (method === "POST" && route === "node")
      return sendJson(res, 200, nodeDetail(ws, await readJson<NodeRequest>(req)));
    if (method === "POST" && route === "export")
      return sendJson(res, 200, exportCircuit(ws, await readJson(req)));
    throw new HttpError(404, `not found: ${method} ${path}`);
  }

  if (method !== "GET" && method !== "HEAD") throw new HttpError(405, "method not allowed");
  const asset = assets.get(path === "/" ? "/index.html" : path);
  if (asset) return send(res, 200, asset.body, asset.type);
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

async function readJson<T>(req: IncomingMessage): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "request body too large");
    chunks.push(chunk as Buffer);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v as T;
  } catch {
    throw new HttpError(400, "request body is not a JSON object");
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy":
      "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'",
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), "application/json; charset=utf-8");
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function sendPage(res: ServerResponse, status: number, title: string, html: string): void {
  send(
    res,
    status,
    `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      `<body style="font:15px system-ui;margin:3em"><h1>${escapeHtml(title)}</h1><p>${html}</p></body>`,
    "text/html; charset=utf-8",
  );
}

/**
 * Failures become a JSON body `{error}` for the API and a short page otherwise: user-facing problems
 * (bad circuit files, bad requests) with their one-line message, anything else as an internal error.
 */
function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = e instanceof HttpError ? e.status : e instanceof CspError ? 422 : 500;
  const message =
    e instanceof HttpError || e instanceof CspError ? e.message : `internal error: ${(e as Error).message}`;
  if (status === 500) console.error(e);
  const wantsJson = (res.req.url ?? "").startsWith("/api/");
  if (wantsJson) sendJson(res, status, { error: message.split("\n")[0] });
  else sendPage(res, status, status === 404 ? "Not found" : "Error", escapeHtml(message.split("\n")[0]));
}
