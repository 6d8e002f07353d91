import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPreparedShards, prepareCorpus, type PrepareProgress } from "../../src/data/prepare_corpus.js";
import { readShard } from "../../src/data/shard.js";
import { trainBpe } from "../../src/tokenizer/train_bpe.js";
import { makeCorpus } from "./corpus_fixture.js";

const tokenizer = trainBpe(["def f(x):\n    return x + 1\n", "import os\nprint(os.getcwd())\n"], {
  vocabSize: 290,
});

describe("prepareCorpus", () => {
  it("writes train/val shards whose decoded text is <|endoftext|> + each file, in sorted order", () => {
    const root = makeCorpus();
    const cacheDir = mkdtempSync(join(tmpdir(), "csp-cache-"));
    const progress: PrepareProgress[] = [];
    const prepared = prepareCorpus({
      corpus: [root],
      tokenizer,
      cacheDir,
      valFraction: 0.5,
      onProgress: (p) => progress.push(p),
    });
    expect(prepared.cached).toBe(false);
    const { train, val } = loadPreparedShards(prepared);
    const m = prepared.manifest;
    expect(m.vocabSize).toBe(290);
    expect(m.eotId).toBe(289);
    expect(train.length).toBe(m.trainTokens);
    expect(val.length).toBe(m.valTokens);
    expect(m.trainFiles + m.valFiles.length).toBe(4);
    expect(m.skippedNotUtf8).toEqual([join(root, "latin1.py")]);
    expect(m.skippedEmpty.length).toBe(2);
    // Contents, from the files themselves (BOM dropped), independent of how they were tokenised.
    const texts: Record<string, string> = {
      "a.py": "import os\nprint(os.getcwd())\n",
      "b.py": "print('bom')\n",
      "pkg/mod.py": "def f(x):\n    return x + 1\n",
      "pkg/sub/deep.py": "class A:\n    pass\n",
    };
    const valText = m.valFiles.map((f) => "<|endoftext|>" + texts[f]).join("");
    const trainText = Object.keys(texts)
      .filter((f) => !m.valFiles.includes(f))
      .map((f) => "<|endoftext|>" + texts[f])
      .join("");
    expect(tokenizer.decode(train)).toBe(trainText);
    expect(tokenizer.decode(val)).toBe(valText);
    expect(train[0]).toBe(289);
    expect(progress[progress.length - 1].doneBytes).toBe(progress[progress.length - 1].totalBytes);
    // Little-endian uint16 on disk: the first id 289 = 0x0121.
    const raw = readFileSync(prepared.trainPath);
    expect([raw[0], raw[1]]).toEqual([0x21, 0x01]);
    expect(raw.length).toBe(2 * m.trainTokens);
  });

  it("reuses the cache, and rebuilds when a file, the tokenizer or the manifest changes", () => {
    const root = makeCorpus();
    const cacheDir = mkdtempSync(join(tmpdir(), "csp-cache-"));
    const first = prepareCorpus({ corpus: [root], tokenizer, cacheDir });
    const again = prepareCorpus({ corpus: [root], tokenizer, cacheDir });
    expect(again.cached).toBe(true);
    expect(again.dir).toBe(first.dir);
    expect(again.manifest).toEqual(first.manifest);

    utimesSync(join(root, "a.py"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const touched = prepareCorpus({ corpus: [root], tokenizer, cacheDir });
    expect(touched.cached).toBe(false);
    expect(touched.dir).not.toBe(first.dir);

    const other = trainBpe(["abc abc abc abd abd"], { vocabSize: 260 });
    expect(prepareCorpus({ corpus: [root], tokenizer: other, cacheDir }).dir).not.toBe(touched.dir);

    // A cache entry without its manifest (a crash before the last write) is rebuilt, not trusted.
    rmSync(join(touched.dir, "manifest.json"));
    const rebuilt = prepareCorpus({ corpus: [root], tokenizer, cacheDir });
    expect(rebuilt.cached).toBe(false);
    expect(existsSync(join(rebuilt.dir, "manifest.json"))).toBe(true);
    // No temporary files are left behind.
    expect(readdirSync(rebuilt.dir).sort()).toEqual(["manifest.json", "train.bin", "val.bin"]);
  });

  it("checks shard ids against the vocabulary", () => {
    const root = makeCorpus();
    const cacheDir = mkdtempSync(join(tmpdir(), "csp-cache-"));
    const prepared = prepareCorpus({ corpus: [root], tokenizer, cacheDir });
    expect(() => readShard(prepared.trainPath, 100)).toThrow(/outside the vocabulary \(size 100\)/);
  });
});
