import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as library from "../../src/index.js";
import { REPO } from "../helpers/cli.js";

/** Every name src/index.ts exports, values and types, read from its export statements. */
function exportedNames(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g))
    for (const item of m[1].split(",")) {
      const words = item
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/);
      if (words[0]) names.add(words[words.length - 1]);
    }
  for (const m of source.matchAll(/export\s+(?:function|class|const)\s+(\w+)/g)) names.add(m[1]);
  return names;
}

/** The names docs/api.md's "Every export" lists: each bullet's leading names, and every name of "Types:". */
function documentedNames(doc: string): Set<string> {
  const section = doc.slice(doc.indexOf("## Every export"), doc.indexOf("## Examples"));
  const bullets = section
    .split(/\n- /)
    .slice(1)
    .map((b) => b.split("\n\n")[0].replace(/\n\s+/g, " "));
  const names = new Set<string>();
  for (const bullet of bullets) {
    const listed = bullet.startsWith("Types:") ? bullet : bullet.slice(0, bullet.indexOf("`:") + 1);
    for (const m of listed.matchAll(/`([A-Za-z_]\w*)/g)) names.add(m[1]);
  }
  return names;
}

describe("src/index.ts, the public entry point", () => {
  const source = readFileSync(join(REPO, "src", "index.ts"), "utf8");
  const exported = exportedNames(source);

  it("is read completely: every runtime export is among the names its export statements give", () => {
    const runtime = Object.keys(library);
    expect(runtime.length).toBeGreaterThan(30);
    expect(runtime.filter((name) => !exported.has(name))).toEqual([]);
  });

  it("is documented name for name in docs/api.md, and the doc lists nothing else", () => {
    const documented = documentedNames(readFileSync(join(REPO, "docs", "api.md"), "utf8"));
    expect([...exported].filter((name) => !documented.has(name)).sort()).toEqual([]);
    expect([...documented].filter((name) => !exported.has(name)).sort()).toEqual([]);
  });

  it("loadModel gives a HookedModel, loadTokenizer finds a model's tokenizer", () => {
    const model = library.loadModel(library.DEFAULT_MODEL_DIR);
    expect(model).toBeInstanceOf(library.HookedModel);
    const tokenizer = library.loadTokenizer(library.DEFAULT_MODEL_DIR);
    expect(tokenizer.vocabSize).toBe(model.config.vocab_size);
    expect(tokenizer.decode(tokenizer.encode("while True:\n"))).toBe("while True:\n");
    expect(() => library.loadTokenizer(join(REPO, "docs"))).toThrow(library.CspError);
  });
});
