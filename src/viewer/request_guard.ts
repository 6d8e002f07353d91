import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { HttpError } from "./http_error.js";

/** The header a request without `Origin` (a script, curl) carries the session token in. */
export const TOKEN_HEADER = "x-csp-token";

/** What the checks compare against: where the server is bound, and this session's token. */
export interface GuardConfig {
  /** The bound address as the socket reports it (`127.0.0.1`, `::1`, `0.0.0.0`, ...). */
  address: string;
  port: number;
  token: string;
}

/** 127.0.0.0/8, ::1 and ::ffff:127.x.y.z. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, "");
  return a === "::1" || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(a) || a === "localhost";
}

function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}

/** The hostname and port of a Host header (`name:port`, `[v6]:port`), lowercased; undefined if malformed. */
function parseHost(host: string): { name: string; port?: number } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!m) return undefined;
  return { name: m[1].toLowerCase().replace(/^\[|\]$/g, ""), port: m[2] ? Number(m[2]) : undefined };
}

/**
 * Whether a Host header names this server. The port must be the bound one (a browser omits it only for
 * 80). The name must be the bound address, or `localhost` when that is a loopback address (browsers
 * resolve `localhost` to loopback themselves, so DNS cannot rebind it). A server bound to every interface
 * (`0.0.0.0`, `::`) accepts any IP literal and `localhost`, never a DNS name: DNS rebinding needs one.
 */
export function hostAllowed(host: string | undefined, cfg: GuardConfig): boolean {
  const h = host === undefined ? undefined : parseHost(host);
  if (!h || (h.port ?? 80) !== cfg.port) return false;
  const bound = cfg.address.toLowerCase();
  if (isWildcard(bound)) return isIP(h.name) !== 0 || h.name === "localhost";
  return h.name === bound || (h.name === "localhost" && isLoopbackAddress(bound));
}

function sameToken(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Refuses (403) what a foreign web page could make a browser send, before any routing:
 * - a Host that is not this server (DNS rebinding reads nothing);
 * - under /api/, a fetch the browser marks as coming from another site (`Sec-Fetch-Site`);
 * - under /api/, any request that is not GET or HEAD unless its `Origin` is the page's own origin, or,
 *   without `Origin` (scripts, curl), it carries the session token in `x-csp-token`. So a cross-origin
 *   `text/plain` POST (no preflight) never runs, and neither does one to an unknown route.
 */
export function guardRequest(req: IncomingMessage, path: string, cfg: GuardConfig): void {
  const host = req.headers.host;
  if (!hostAllowed(host, cfg))
    throw new HttpError(403, `forbidden: Host ${JSON.stringify(host ?? "")} is not this viewer's address`);
  if (!path.startsWith("/api/")) return;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    throw new HttpError(403, `forbidden: cross-site request (Sec-Fetch-Site: ${String(site)})`);
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") return;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (origin.toLowerCase() !== `http://${host!.toLowerCase()}`)
      throw new HttpError(403, `forbidden: cross-origin request from ${JSON.stringify(origin)}`);
    return;
  }
  if (!sameToken(req.headers[TOKEN_HEADER], cfg.token))
    throw new HttpError(
      403,
      `forbidden: a ${method} without Origin must carry the session token (${TOKEN_HEADER})`,
    );
}
