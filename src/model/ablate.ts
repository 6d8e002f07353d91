import { readFileSync } from "node:fs";
import { CspError } from "../errors.js";
import type { ModelDims } from "./config.js";
import { hookPointWidths } from "./hook_points.js";
import { channelReplace, type Intervention } from "./hooks.js";

/** One entry of an ablate.json file: at a hook, these channels become these constants. */
export interface ChannelAblation {
  channels: number[];
  values: number[];
}

/** Width of the last dimension at each hook point (hook_points.ts). */
export function hookWidths(d: ModelDims): Map<string, number> {
  return hookPointWidths(d);
}

/** Reads and checks an ablate.json file ({hook name: {channels, values}}) against a model's shape. */
export function readAblationFile(path: string, dims: ModelDims): Map<string, Intervention> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CspError(
      `${path}: ${err.code ? `cannot read (${err.code})` : `not valid JSON (${err.message.split("\n")[0]})`}`,
    );
  }
  return parseAblations(raw, dims, path);
}

export function parseAblations(raw: unknown, dims: ModelDims, source: string): Map<string, Intervention> {
  const fail = (problem: string): never => {
    throw new CspError(`${source}: ${problem}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    fail("expected a JSON object {hook name: {channels, values}}");
  const widths = hookWidths(dims);
  const out = new Map<string, Intervention>();
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    const width = widths.get(name);
    if (width === undefined)
      fail(`"${name}" is not a hook point of this model (e.g. "0.attn.q", "final_resid")`);
    const e = entry as Partial<ChannelAblation>;
    if (typeof e !== "object" || e === null || !Array.isArray(e.channels) || !Array.isArray(e.values)) {
      fail(`"${name}": expected {"channels": [...], "values": [...]}`);
    }
    const { channels, values } = e as ChannelAblation;
    if (channels.length !== values.length)
      fail(`"${name}": ${channels.length} channels but ${values.length} values`);
    for (const c of channels) {
      if (!Number.isInteger(c) || c < 0 || c >= width!)
        fail(`"${name}": channel ${JSON.stringify(c)} is outside [0, ${width})`);
    }
    for (const v of values)
      if (typeof v !== "number" || !Number.isFinite(v))
        fail(`"${name}": value ${JSON.stringify(v)} is not a finite number`);
    out.set(name, channelReplace(channels, values));
  }
  return out;
}
