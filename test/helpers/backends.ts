import { setBackend, type BackendName } from "../../src/backend/index.js";
import { loadNativeBackend } from "../../src/backend/native.js";

/**
 * The backends every engine spec runs on. The native one is required: a missing addon fails the
 * suite unless CSP_ALLOW_NO_NATIVE=1 (for machines without a compiler).
 */
export const BACKENDS: BackendName[] = ["ts", "native"];

export function useBackend(name: BackendName): void {
  if (name === "native" && !loadNativeBackend().backend && process.env.CSP_ALLOW_NO_NATIVE === "1") {
    setBackend("ts");
    return;
  }
  setBackend(name);
}
