import type { Command } from "commander";
import { choiceFlag } from "../../flag_values.js";
import { exportReferenceModel, type ExportReferenceResult } from "../../model/export_reference.js";

/** Formats `csp export` can write. */
export const EXPORT_FORMATS = ["reference"] as const;

export function registerExport(program: Command): void {
  program
    .command("export")
    .description(
      "write a model in another system's format; reference: beeg_config.json + final_model.pt (torch.save) + tokenizer/",
    )
    .requiredOption("--model <dir>", "checkpoint directory (config.json + model.safetensors)")
    .requiredOption("--format <name>", `output format: ${EXPORT_FORMATS.join(" | ")}`)
    .requiredOption("--out <dir>", "directory to create")
    .option("--tokenizer <dir>", "tokenizer to copy (default: the model's own, if it has one)")
    .action((opts: { model: string; format: string; out: string; tokenizer?: string }) => {
      choiceFlag("--format", opts.format, EXPORT_FORMATS, undefined);
      const result = exportReferenceModel({ model: opts.model, out: opts.out, tokenizer: opts.tokenizer });
      console.log(formatExportSummary(opts.out, result));
    });
}

export function formatExportSummary(out: string, r: ExportReferenceResult): string {
  const lines = [
    `wrote ${out}/final_model.pt (${r.tensorNames.length} tensors, ${r.weightsBytes} bytes) and ${out}/beeg_config.json`,
  ];
  lines.push(
    r.tokenizerFrom === null
      ? "note: the model has no tokenizer; none copied (pass --tokenizer DIR)"
      : `tokenizer: copied from ${r.tokenizerFrom} to ${out}/tokenizer/`,
  );
  return lines.join("\n");
}
