import type { Backend } from "./backend.js";
import { tsBackend } from "./ts/index.js";
import { loadNativeBackend } from "./native.js";

export type { Backend } from "./backend.js";
export type BackendName = Backend["name"];

let current: Backend | undefined;
let warned = false;

/**
 * The backend chosen by CSP_BACKEND (ts | native; default native). If the native addon is missing the
 * default falls back to TypeScript with one warning; asking for native explicitly makes that an error.
 */
export function getBackend(): Backend {
  if (current) return current;
  const requested = process.env.CSP_BACKEND ?? "";
  if (requested !== "" && requested !== "ts" && requested !== "native") {
    throw new Error(`CSP_BACKEND must be "ts" or "native", got "${requested}"`);
  }
  if (requested === "ts") return (current = tsBackend);
  const native = loadNativeBackend();
  if (native.backend) return (current = native.backend);
  if (requested === "native")
    throw new Error(`CSP_BACKEND=native but the native addon is unavailable: ${native.error}`);
  if (!warned) {
    warned = true;
    process.emitWarning(`native addon unavailable (${native.error}); using the TypeScript backend`);
  }
  return (current = tsBackend);
}

/**
 * Chooses the backend for this process (tests run every spec once per backend), by name or as a
 * backend object (e.g. a particular build's, from loadNativeBackend(march)).
 */
export function setBackend(name: BackendName | Backend): Backend {
  if (typeof name !== "string") return (current = name);
  if (name === "ts") return (current = tsBackend);
  const native = loadNativeBackend();
  if (!native.backend) throw new Error(`native addon unavailable: ${native.error}`);
  return (current = native.backend);
}
