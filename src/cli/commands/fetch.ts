import type { Command } from "commander";
import { FETCH_MANIFEST, fetchReleased, PUBLIC_BASE_URL } from "../../io/fetch.js";
import { stderrProgress } from "../../io/progress.js";

export function registerFetch(program: Command): void {
  program
    .command("fetch")
    .description(
      "download released reference files (models, tinypython tokenizer, viz data) in the public bucket layout",
    )
    .argument(
      "<name>",
      "csp_yolo2 | models/<name> | tinypython | viz/<model>/<task>/<sweep>/<k> | a file path",
    )
    .option("--base <url>", "bucket root", PUBLIC_BASE_URL)
    .option("--out <dir>", "directory to place the files in, under their bucket paths", ".")
    .option("--quiet", "no progress display")
    .action(async (name: string, opts: { base: string; out: string; quiet?: boolean }) => {
      const files = await fetchReleased(name, {
        base: opts.base,
        out: opts.out,
        progress: stderrProgress({ quiet: opts.quiet }),
      });
      for (const f of files) console.log(`${f.how} ${f.path} (${f.size} bytes, sha256 ${f.sha256})`);
      console.log(`checksums recorded in ${opts.out}/${FETCH_MANIFEST}`);
    });
}
