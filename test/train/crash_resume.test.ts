import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { getBackend } from "../../src/backend/index.js";
import { readTrainState } from "../../src/train/checkpoint_state.js";
import { readMetrics } from "../../src/train/metrics.js";
import { runTrainRequest, type TrainRequest } from "../../src/train/train_run.js";
import { makeSyntheticCorpus } from "./synthetic_corpus.js";

const HERE = resolve(fileURLToPath(import.meta.url), "..");
const REPO = resolve(HERE, "../..");

/**
 * A real crash: a child `node` process trains, gets SIGKILLed right after its first checkpoint lands,
 * and the same request run again must finish with exactly the weights of an uninterrupted run.
 */
test("SIGKILL after the first checkpoint, then resume: bit-identical final weights", async () => {
  const corpus = makeSyntheticCorpus({ seed: 4 });
  const work = mkdtempSync(join(tmpdir(), "csp-crash-"));
  const request = (out: string): TrainRequest => ({
    corpus: [corpus],
    out,
    cache: join(work, "cache"),
    preset: "tiny",
    steps: "120",
    checkpointEvery: "10",
    valFraction: 0.1,
  });
  const reference = join(work, "reference");
  runTrainRequest(request(reference));

  const crashed = join(work, "crashed");
  const statePath = join(crashed, "train_state.safetensors");
  const child = spawn(
    process.execPath,
    [
      "--import",
      join(HERE, "child/register_ts.mjs"),
      join(HERE, "child/train_child.ts"),
      JSON.stringify(request(crashed)),
    ],
    // Same kernels as this process, or the comparison would measure backend differences.
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CSP_BACKEND: getBackend().name } },
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on("exit", (code, signal) => done({ code, signal })),
  );
  let killed = false;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (existsSync(statePath)) {
      child.kill("SIGKILL");
      killed = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const { signal } = await exited;
  expect(killed, `child never wrote a checkpoint: ${stderr}`).toBe(true);
  expect(signal).toBe("SIGKILL");
  const stoppedAt = readTrainState(statePath).progress.nextStep;
  expect(stoppedAt).toBeGreaterThan(0);
  expect(stoppedAt).toBeLessThan(121); // it really was interrupted

  const resumed = runTrainRequest(request(crashed));
  expect(resumed.startStep).toBe(stoppedAt);
  expect(resumed.completed).toBe(true);
  const weights = (dir: string) => readFileSync(join(dir, "model.safetensors"));
  expect(weights(crashed).equals(weights(reference))).toBe(true);
  expect(readMetrics(join(crashed, "metrics.jsonl")).map((m) => m.step)).toEqual(
    Array.from({ length: 121 }, (_, i) => i),
  );
});
