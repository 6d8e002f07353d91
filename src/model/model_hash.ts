import { createHash } from "node:crypto";
import type { GPTConfig } from "./config.js";
import type { Model } from "./model.js";

/** sha256 of the config's fields in a fixed key order: equal configs give equal hashes. */
export function configHash(config: GPTConfig): string {
  const sorted = Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex");
}

/** sha256 over every tensor's name, shape and float32 bytes in state-dict order: identifies the weights. */
export function weightsHash(model: Model): string {
  const h = createHash("sha256");
  for (const spec of model.specs) {
    const t = model.params.get(spec.name)!;
    h.update(`${spec.name}[${t.shape.join(",")}]`);
    const held = t.heldCsr;
    if (held) {
      // The same bytes as the dense matrix, one row at a time: a tensor held sparse stays sparse.
      const row = new Float32Array(held.cols);
      const bytes = new Uint8Array(row.buffer);
      for (let r = 0; r < held.rows; r++) {
        row.fill(0);
        for (let p = held.rowPtr[r]; p < held.rowPtr[r + 1]; p++) row[held.colIdx[p]] = held.values[p];
        h.update(bytes);
      }
      continue;
    }
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest("hex");
}

/** sha256 of bytes or text, hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
