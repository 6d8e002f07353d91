#!/usr/bin/env node
import { Command } from "commander";
import { CspError } from "../errors.js";
import { registerConvert } from "./commands/convert.js";
import { registerExport } from "./commands/export.js";
import { registerFetch } from "./commands/fetch.js";
import { registerImportViz } from "./commands/import_viz.js";
import { registerCorpus } from "./commands/corpus.js";
import { registerDemo } from "./commands/demo.js";
import { registerEvaluate } from "./commands/evaluate.js";
import { registerLoss } from "./commands/loss.js";
import { registerMeans } from "./commands/means.js";
import { registerPrune } from "./commands/prune.js";
import { registerRun } from "./commands/run.js";
import { registerSample } from "./commands/sample.js";
import { registerSteer } from "./commands/steer.js";
import { registerStudy } from "./commands/study.js";
import { registerTasks } from "./commands/tasks.js";
import { registerTokenizer } from "./commands/tokenizer.js";
import { registerTrain } from "./commands/train.js";
import { registerTrajectory } from "./commands/trajectory.js";
import { registerView } from "./commands/view.js";

const program = new Command();
program
  .name("csp")
  .description(
    "circuit-sparsity: train weight-sparse transformers, prune them to circuits, and view the circuits",
  )
  .showHelpAfterError();

registerRun(program);
registerConvert(program);
registerExport(program);
registerImportViz(program);
registerFetch(program);
registerTokenizer(program);
registerCorpus(program);
registerTasks(program);
registerTrain(program);
registerLoss(program);
registerSample(program);
registerMeans(program);
registerPrune(program);
registerEvaluate(program);
registerSteer(program);
registerStudy(program);
registerTrajectory(program);
registerView(program);
registerDemo(program);

/** User-facing failures are one line and a non-zero exit; CSP_DEBUG=1 shows the stack. */
function report(e: unknown): never {
  if (process.env.CSP_DEBUG) console.error(e);
  const message = e instanceof Error ? e.message : String(e);
  const oneLine = message.split("\n")[0];
  console.error(e instanceof CspError ? `csp: ${oneLine}` : `csp: internal error: ${oneLine}`);
  process.exit(1);
}

program.parseAsync(process.argv).catch(report);
