import { CspError } from "../../errors.js";
import { intFlag, numFlag } from "../../flag_values.js";
import type { TrainRequest } from "../train_run.js";
import { BridgedRun, DEFAULT_BRIDGE_SETTINGS } from "./bridged_run.js";
import type { BridgeSettings } from "./bridged_step.js";

/** The `csp train` flags of a bridged run (commander's camelCase names). */
export interface BridgeFlags {
  bridges?: string;
  trainDense?: boolean;
  bridgeNmseWeight?: string;
  bridgeKlWeight?: string;
  bridgeKlSites?: string;
  bridgeEncoderAfrac?: string;
}

/** Checked settings from the flags; bridge flags without --bridges are an error. */
export function bridgeSettingsFromFlags(f: BridgeFlags): BridgeSettings | undefined {
  const d = DEFAULT_BRIDGE_SETTINGS;
  if (f.bridges === undefined) {
    const stray = (
      [
        ["--train-dense", f.trainDense],
        ["--bridge-nmse-weight", f.bridgeNmseWeight],
        ["--bridge-kl-weight", f.bridgeKlWeight],
        ["--bridge-kl-sites", f.bridgeKlSites],
        ["--bridge-encoder-afrac", f.bridgeEncoderAfrac],
      ] as const
    ).find(([, v]) => v !== undefined && v !== false);
    if (stray) throw new CspError(`${stray[0]}: only applies with --bridges DENSE_DIR`);
    return undefined;
  }
  return {
    weights: {
      nmse: numFlag("--bridge-nmse-weight", f.bridgeNmseWeight, d.weights.nmse, { min: 0 }),
      kl: numFlag("--bridge-kl-weight", f.bridgeKlWeight, d.weights.kl, { min: 0 }),
    },
    klSitesPerStep: intFlag("--bridge-kl-sites", f.bridgeKlSites, d.klSitesPerStep, { min: 1 }),
    encoderAfrac: numFlag("--bridge-encoder-afrac", f.bridgeEncoderAfrac, d.encoderAfrac, {
      min: 0,
      max: 1,
      minExclusive: true,
    }),
    trainDense: f.trainDense ?? false,
  };
}

/** The extension factory runTrainRequest takes, or undefined without --bridges. */
export function bridgedExtension(f: BridgeFlags): TrainRequest["extension"] {
  const settings = bridgeSettingsFromFlags(f);
  if (!settings) return undefined;
  const denseDir = f.bridges!;
  return ({ model, train, tokenizer }) =>
    new BridgedRun({
      denseDir,
      settings,
      sparseConfig: model,
      seed: train.seed,
      nCtx: train.n_ctx,
      tokenizer,
    });
}
