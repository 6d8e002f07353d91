import type { Command } from "commander";
import { convertReferenceModel, type ConvertResult } from "../../model/convert_reference.js";

export function registerConvert(program: Command): void {
  program
    .command("convert")
    .description(
      "convert a released reference model (beeg_config.json + final_model.pt) to a checkpoint directory",
    )
    .requiredOption("--from <dir>", "reference model directory (beeg_config.json + final_model.pt)")
    .requiredOption("--out <dir>", "checkpoint directory to write (config.json + model.safetensors)")
    .option(
      "--tokenizer <dir>",
      "tokenizer directory (vocab.bpe + encoder.json) to validate and copy into <out>/tokenizer/",
    )
    .action((opts: { from: string; out: string; tokenizer?: string }) => {
      const result = convertReferenceModel(opts);
      console.log(formatConvertSummary(opts.out, result));
    });
}

/** A table of every tensor's shape and nonzeros, then totals. */
export function formatConvertSummary(out: string, r: ConvertResult): string {
  const lines: string[] = [];
  if (r.ignoredKeys.length > 0)
    lines.push(`note: beeg_config.json keys with no effect on the model: ${r.ignoredKeys.join(", ")}`);
  for (const a of r.adjustments) lines.push(`note: ${a}`);
  const pct = (nz: number, n: number) => (n === 0 ? "-" : `${((100 * nz) / n).toFixed(3)}%`);
  const rows = r.tensors.map((t) => [
    t.name,
    `[${t.shape.join(", ")}]`,
    String(t.nonzeros),
    pct(t.nonzeros, t.numel),
  ]);
  rows.push(["total", `${r.totalNumel} values`, String(r.totalNonzeros), pct(r.totalNonzeros, r.totalNumel)]);
  const header = ["tensor", "shape", "nonzeros", "nonzero %"];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const fmt = (row: string[]) =>
    row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ");
  lines.push(fmt(header), ...rows.map(fmt));
  if (r.tokenizerVocabSize !== undefined)
    lines.push(`tokenizer: ${r.tokenizerVocabSize} tokens, copied to ${out}/tokenizer/`);
  lines.push(`wrote ${out} (${r.tensors.length} tensors)`);
  return lines.join("\n");
}
