import type { ApiError } from "../api_types.js";

/** The session token the server wrote into index.html; POSTs carry it (server: request_guard.ts). */
const sessionToken = document.querySelector<HTMLMetaElement>('meta[name="csp-session-token"]')?.content ?? "";

/** Calls the viewer's JSON API; a failure throws an Error carrying the server's one-line message. */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`api/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers:
      body === undefined ? undefined : { "content-type": "application/json", "x-csp-token": sessionToken },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const value = (await res.json().catch(() => ({ error: `HTTP ${res.status}` }))) as T | ApiError;
  if (!res.ok) throw new Error((value as ApiError).error ?? `HTTP ${res.status}`);
  return value as T;
}

/** Saves text as a file through the browser's download. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
