import { join } from "node:path";
import type { Command } from "commander";
import { runStudy } from "../../prune/study/run.js";

interface StudyFlags {
  out: string;
  quiet?: boolean;
}

export function registerStudy(program: Command): void {
  program
    .command("study")
    .description(
      "a circuit-size study: prune every model × task × target × method (plus controls), resumable; writes study.json, report.md and plots",
    )
    .argument("<spec>", "study spec (JSON; see docs/study.md)")
    .requiredOption("--out <dir>", "study directory (rerunning resumes it)")
    .option("--quiet", "no progress lines")
    .action((specPath: string, f: StudyFlags) => {
      const command = ["csp", "study", specPath, "--out", f.out, ...(f.quiet ? ["--quiet"] : [])].join(" ");
      const study = runStudy({ specPath, outDir: f.out, command, quiet: f.quiet });
      const s = study.summary;
      const n = s.tasks_compared.length;
      const ratio = (x: number | null) => (x === null ? "n/a" : `${x.toFixed(2)}x`);
      console.log(
        `wrote ${join(f.out, "study.json")} and ${join(f.out, "report.md")}: ${study.cells.length} cells; ` +
          `${s.sparse_model ?? "no sparse model"} vs ${s.dense_model ?? "no dense model"} at target ${s.target_loss}: ` +
          `dense/sparse edges ${ratio(s.edge_ratio_geomean)} over ${n} task${n === 1 ? "" : "s"}`,
      );
    });
}
