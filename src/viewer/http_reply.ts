import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { CspError } from "../errors.js";
import { HttpError } from "./http_error.js";

/** Request bodies larger than this are refused (the API sends edits, not data). */
const MAX_BODY_BYTES = 1 << 20;

/** Sent with every response: no sniffing, no framing, no cross-origin reads of our bytes. */
const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
};

/** A strong ETag of some bytes (a hash prefix: equal bytes, equal tag). */
export function etagOf(body: string | Buffer): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
}

/**
 * Sends a body. With an `etag`, the client may revalidate: a matching If-None-Match gets 304 and no body,
 * and the response may be kept (`no-cache`: always revalidated, so a change is never missed).
 */
export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  etag?: string,
): void {
  if (etag !== undefined && status === 200) {
    const ifNoneMatch = res.req.headers["if-none-match"];
    const tags = ifNoneMatch?.split(",").map((t) => t.trim().replace(/^W\//, ""));
    if (tags?.includes(etag) || ifNoneMatch?.trim() === "*") {
      res.writeHead(304, { etag, "cache-control": "no-cache", ...SECURITY_HEADERS });
      res.end();
      return;
    }
  }
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": etag === undefined ? "no-store" : "no-cache",
    ...(etag === undefined ? {} : { etag }),
    ...SECURITY_HEADERS,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), "application/json; charset=utf-8");
}

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A short HTML page (errors outside the API; `html` is trusted markup). */
export function sendPage(res: ServerResponse, status: number, title: string, html: string): void {
  send(
    res,
    status,
    `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      `<body style="font:15px system-ui;margin:3em"><h1>${escapeHtml(title)}</h1><p>${html}</p></body>`,
    "text/html; charset=utf-8",
  );
}

/** The request body as a JSON object (at most 1 MiB; none: {}), or a 400/413. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "request body too large");
    chunks.push(chunk as Buffer);
  }
  // No body at all is an empty object: routes that take no parameters (the panels' "open") need none.
  if (size === 0) return {};
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch {
    throw new HttpError(400, "request body is not a JSON object");
  }
}

/** The status a failure is answered with: its own for HttpError, 422 for CspError, else 500. */
export function statusOf(e: unknown): number {
  return e instanceof HttpError ? e.status : e instanceof CspError ? 422 : 500;
}

/**
 * Failures become a JSON body `{error}` for the API and a short page otherwise: user-facing problems
 * (bad circuit files, bad requests) with their one-line message, anything else as an internal error.
 */
export function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusOf(e);
  const message = status === 500 ? `internal error: ${(e as Error).message}` : (e as Error).message;
  if (status === 500) console.error(e);
  const line = message.split("\n")[0];
  if ((res.req.url ?? "").startsWith("/api/")) sendJson(res, status, { error: line });
  else sendPage(res, status, status === 404 ? "Not found" : "Error", escapeHtml(line));
}
