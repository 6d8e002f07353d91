import { CspError } from "../errors.js";
import { readSafetensors, writeSafetensors, type StoredTensor, type TensorMap } from "../io/safetensors.js";
import { readAblationFile } from "../model/ablate.js";
import { loadModel } from "../model/checkpoint.js";
import { backward, forward } from "../model/gpt.js";
import { hookMatcher } from "../model/hooks.js";
import type { Model } from "../model/model.js";

export interface RunOptions {
  model: string;
  input: string;
  hooks?: string;
  ablate?: string;
  grads?: boolean;
  out: string;
}

/** Token ids [B, T] from an input file, checked against the model. */
export function readTokenInput(
  path: string,
  model: Model,
): { ids: Int32Array; targets?: Int32Array; b: number; t: number } {
  const { tensors } = readSafetensors(path);
  const ids = tensors.get("input_ids");
  if (!ids) throw new CspError(`${path}: missing tensor "input_ids" (expected integer [B, T])`);
  const check = (name: string, x: StoredTensor): Int32Array => {
    if (x.dtype !== "I32" && x.dtype !== "I64")
      throw new CspError(`${path}: tensor "${name}" has dtype ${x.dtype}, expected I32 or I64`);
    if (x.shape.length !== 2)
      throw new CspError(`${path}: tensor "${name}" has shape [${x.shape.join(", ")}], expected [B, T]`);
    return x.data as Int32Array;
  };
  const idData = check("input_ids", ids);
  const [b, t] = ids.shape;
  if (b === 0 || t === 0) throw new CspError(`${path}: "input_ids" is empty (shape [${b}, ${t}])`);
  if (t > model.dims.blockSize)
    throw new CspError(
      `${path}: sequence length ${t} exceeds the model's block_size ${model.dims.blockSize}`,
    );
  const V = model.dims.vocab;
  for (let i = 0; i < idData.length; i++) {
    if (idData[i] < 0 || idData[i] >= V)
      throw new CspError(
        `${path}: input_ids[${Math.floor(i / t)}, ${i % t}] = ${idData[i]} is outside the vocabulary [0, ${V})`,
      );
  }
  const tg = tensors.get("targets");
  let targets: Int32Array | undefined;
  if (tg) {
    targets = check("targets", tg);
    if (tg.shape[0] !== b || tg.shape[1] !== t)
      throw new CspError(`${path}: "targets" has shape [${tg.shape.join(", ")}], input_ids has [${b}, ${t}]`);
    for (let i = 0; i < targets.length; i++) {
      if (targets[i] !== -1 && (targets[i] < 0 || targets[i] >= V))
        throw new CspError(
          `${path}: targets[${Math.floor(i / t)}, ${i % t}] = ${targets[i]} is outside the vocabulary [0, ${V}) (use -1 to ignore)`,
        );
    }
  }
  return { ids: idData, targets, b, t };
}

/** `csp run`: everything is validated before anything is written. Returns a one-line summary. */
export function runCommand(opts: RunOptions): string {
  const model = loadModel(opts.model);
  const { ids, targets, b, t } = readTokenInput(opts.input, model);
  const interventions = opts.ablate ? readAblationFile(opts.ablate, model.dims) : undefined;
  if (opts.grads && !targets) throw new CspError(`${opts.input}: --grads needs a "targets" tensor`);
  let record: RegExp | undefined;
  if (opts.hooks !== undefined) {
    try {
      record = hookMatcher(opts.hooks);
    } catch (e) {
      throw new CspError(`--hooks: invalid regular expression (${(e as Error).message})`);
    }
  }
  const out: TensorMap = new Map();
  out.set("input_ids", { dtype: "I32", shape: [b, t], data: ids });
  if (targets) out.set("targets", { dtype: "I32", shape: [b, t], data: targets });
  const fwd = forward(model, ids, b, t, { targets, record, keepCache: opts.grads });
  out.set("logits", { dtype: "F32", shape: [...fwd.logits.shape], data: fwd.logits.data });
  if (fwd.loss !== undefined)
    out.set("loss", { dtype: "F32", shape: [1], data: new Float32Array([fwd.loss]) });
  if (interventions) {
    const abl = forward(model, ids, b, t, { targets, interventions });
    out.set("ablate/logits", { dtype: "F32", shape: [...abl.logits.shape], data: abl.logits.data });
    if (abl.loss !== undefined)
      out.set("ablate/loss", { dtype: "F32", shape: [1], data: new Float32Array([abl.loss]) });
  }
  for (const [name, h] of fwd.hooks)
    out.set(`hook/${name}`, { dtype: "F32", shape: [...h.shape], data: h.data });
  if (opts.grads) {
    const { grads } = backward(model, fwd);
    for (const [name, g] of grads)
      out.set(`grad/${name}`, { dtype: "F32", shape: [...g.shape], data: g.data });
  }
  writeSafetensors(opts.out, out);
  const loss = fwd.loss !== undefined ? `, loss ${fwd.loss.toFixed(6)}` : "";
  return `wrote ${opts.out}: ${out.size} tensors (B=${b}, T=${t}${loss})`;
}
