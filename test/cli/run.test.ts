import { describe, expect, it } from "vitest";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { csp } from "../helpers/cli.js";
import { PARITY_CASES, parityDir, relMaxError } from "../helpers/fixtures.js";
import { BACKENDS } from "../helpers/backends.js";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "csp-run-"));
}

describe("csp run reproduces the fixtures from the command line", () => {
  for (const backend of BACKENDS) {
    for (const name of PARITY_CASES) {
      it(`${name} (${backend})`, () => {
        const dir = parityDir(name);
        const out = join(tmp(), "out.safetensors");
        const r = csp(
          [
            "run",
            "--model",
            dir,
            "--input",
            join(dir, "expected.safetensors"),
            "--hooks",
            ".*",
            "--ablate",
            join(dir, "ablate.json"),
            "--grads",
            "--out",
            out,
          ],
          { CSP_BACKEND: backend === "native" && process.env.CSP_ALLOW_NO_NATIVE === "1" ? "" : backend },
        );
        expect(r.stderr).not.toMatch(/internal error/);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^wrote .*out\.safetensors/);
        const expected = readSafetensors(join(dir, "expected.safetensors")).tensors;
        const got = readSafetensors(out).tensors;
        for (const [key, e] of expected) {
          const g = got.get(key);
          expect(g, key).toBeDefined();
          expect(g!.shape, key).toEqual(e.shape);
          const tol = key.startsWith("grad/") || key.startsWith("ablate/") || key === "loss" ? 1e-4 : 1e-5;
          expect(relMaxError(g!.data, e.data), key).toBeLessThan(tol);
        }
      });
    }
  }
});

describe("csp run refuses bad input with one line naming the file, and writes nothing", () => {
  const model = parityDir("sink-afrac");
  const goodInput = join(model, "expected.safetensors");

  function expectRefused(args: string[], message: RegExp): void {
    const dir = tmp();
    const out = join(dir, "out.safetensors");
    const r = csp(["run", ...args, "--out", out]);
    expect(r.status).not.toBe(0);
    const lines = r.stderr
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("csp: note:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^csp: /);
    expect(lines[0]).not.toMatch(/internal error|\bat .*\.js:\d+/);
    expect(lines[0]).toMatch(message);
    expect(existsSync(out)).toBe(false);
  }

  function input(tensors: Parameters<typeof writeSafetensors>[1]): string {
    const path = join(tmp(), "input.safetensors");
    writeSafetensors(path, tensors);
    return path;
  }

  it("truncated safetensors header", () => {
    const path = join(tmp(), "trunc.safetensors");
    writeFileSync(path, readFileSync(goodInput).subarray(0, 100));
    expectRefused(
      ["--model", model, "--input", path],
      /trunc\.safetensors: truncated or corrupt safetensors header/,
    );
  });

  it("a header that lies about the data", () => {
    const path = join(tmp(), "lying.safetensors");
    const bytes = Buffer.from(readFileSync(goodInput));
    const len = Number(bytes.readBigUInt64LE(0));
    const header = bytes
      .subarray(8, 8 + len)
      .toString("utf8")
      .replace('"shape":[2,16]', '"shape":[2,17]');
    writeFileSync(path, Buffer.concat([bytes.subarray(0, 8), Buffer.from(header), bytes.subarray(8 + len)]));
    expectRefused(
      ["--model", model, "--input", path],
      /lying\.safetensors: tensor "input_ids": data_offsets .* needs 136/,
    );
  });

  it("missing input_ids", () => {
    const path = input(new Map([["tokens", { dtype: "I32", shape: [1, 2], data: new Int32Array([1, 2]) }]]));
    expectRefused(["--model", model, "--input", path], /input\.safetensors: missing tensor "input_ids"/);
  });

  it("misshapen input_ids", () => {
    const path = input(
      new Map([["input_ids", { dtype: "I32", shape: [4], data: new Int32Array([1, 2, 3, 4]) }]]),
    );
    expectRefused(["--model", model, "--input", path], /"input_ids" has shape \[4\], expected \[B, T\]/);
  });

  it("wrong dtype", () => {
    const path = input(
      new Map([["input_ids", { dtype: "F32", shape: [1, 2], data: new Float32Array([1, 2]) }]]),
    );
    expectRefused(["--model", model, "--input", path], /"input_ids" has dtype F32, expected I32 or I64/);
  });

  it("token id out of range", () => {
    const path = input(
      new Map([["input_ids", { dtype: "I64", shape: [1, 3], data: new Int32Array([1, 96, 2]) }]]),
    );
    expectRefused(
      ["--model", model, "--input", path],
      /input_ids\[0, 1\] = 96 is outside the vocabulary \[0, 96\)/,
    );
  });

  it("sequence longer than block_size", () => {
    const path = input(new Map([["input_ids", { dtype: "I32", shape: [1, 17], data: new Int32Array(17) }]]));
    expectRefused(
      ["--model", model, "--input", path],
      /sequence length 17 exceeds the model's block_size 16/,
    );
  });

  it("targets of another shape", () => {
    const path = input(
      new Map([
        ["input_ids", { dtype: "I32", shape: [1, 2], data: new Int32Array([1, 2]) }],
        ["targets", { dtype: "I32", shape: [1, 3], data: new Int32Array([1, 2, 3]) }],
      ]),
    );
    expectRefused(
      ["--model", model, "--input", path],
      /"targets" has shape \[1, 3\], input_ids has \[1, 2\]/,
    );
  });

  it("--grads without targets", () => {
    const path = input(
      new Map([["input_ids", { dtype: "I32", shape: [1, 2], data: new Int32Array([1, 2]) }]]),
    );
    expectRefused(["--model", model, "--input", path, "--grads"], /--grads needs a "targets" tensor/);
  });

  it("config values that contradict each other", () => {
    const dir = tmp();
    copyFileSync(join(model, "model.safetensors"), join(dir, "model.safetensors"));
    const config = JSON.parse(readFileSync(join(model, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, flash: false }));
    expectRefused(["--model", dir, "--input", goodInput], /config\.json: sink=true requires flash=true/);
  });

  it("a config that contradicts the weights", () => {
    const dir = tmp();
    copyFileSync(join(model, "model.safetensors"), join(dir, "model.safetensors"));
    const config = JSON.parse(readFileSync(join(model, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, d_mlp: 64 }));
    expectRefused(
      ["--model", dir, "--input", goodInput],
      /model\.safetensors: tensor "transformer\.h\.0\.mlp\.c_fc\.weight" has shape \[128, 32\], the config implies \[64, 32\]/,
    );
  });

  it("a model directory without weights", () => {
    const dir = tmp();
    copyFileSync(join(model, "config.json"), join(dir, "config.json"));
    expectRefused(["--model", dir, "--input", goodInput], /model\.safetensors: missing/);
  });

  it("an ablation file naming a hook that does not exist", () => {
    const path = join(tmp(), "ablate.json");
    writeFileSync(path, JSON.stringify({ "0.attn.banana": { channels: [0], values: [1] } }));
    expectRefused(
      ["--model", model, "--input", goodInput, "--ablate", path],
      /ablate\.json: "0\.attn\.banana" is not a hook point/,
    );
  });

  it("an ablation channel out of range", () => {
    const path = join(tmp(), "ablate.json");
    writeFileSync(path, JSON.stringify({ "0.attn.q": { channels: [32], values: [1] } }));
    expectRefused(
      ["--model", model, "--input", goodInput, "--ablate", path],
      /ablate\.json: "0\.attn\.q": channel 32 is outside \[0, 32\)/,
    );
  });

  it("reports unknown config keys once, as a note", () => {
    const dir = tmp();
    copyFileSync(join(model, "model.safetensors"), join(dir, "model.safetensors"));
    const config = JSON.parse(readFileSync(join(model, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, pfrac: 0.25, rtopk: false }));
    const r = csp(["run", "--model", dir, "--input", goodInput, "--out", join(dir, "o.safetensors")]);
    expect(r.status).toBe(0);
    expect(r.stderr.match(/ignoring keys with no effect on the model: pfrac, rtopk/g)).toHaveLength(1);
  });
});
