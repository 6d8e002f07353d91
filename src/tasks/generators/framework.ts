import { CspError } from "../../errors.js";
import type { Tokenizer } from "../../tokenizer/index.js";
import { TEST_FRACTION, type TaskLine } from "../task.js";
import { taskLabelSeed } from "../../random/seed.js";
import { TaskRng } from "../../random/task_rng.js";

/** A candidate pair of target texts: A's correct next token and B's. */
export interface TargetChoice {
  a: string;
  b: string;
}

/**
 * One drawn minimal pair before tokenization. `a + aCont` (and `b + bCont`) is the whole snippet; the
 * target is a prefix of the continuation. The continuation is what makes the check possible that the
 * target really is the next token the tokenizer produces there (a model never sees `")` where the text
 * tokenizes as `")\n`); tests also compile `a + aCont` as Python.
 */
export interface PairDraft {
  a: string;
  aCont: string;
  b: string;
  bCont: string;
  /**
   * Per-sample targets (alternatives best first) for tasks whose answer varies (a variable name, an
   * indentation). Absent: the task's {@link TaskDefinition.targets} choice is used.
   */
  aNext?: string | readonly string[];
  bNext?: string | readonly string[];
}

/** What a task's draw function gets. */
export interface DrawContext {
  rng: TaskRng;
  tokenizer: Tokenizer;
  /** The task-level target pair in use (the first of `targets` that works); undefined without `targets`. */
  target: TargetChoice | undefined;
  /**
   * The words of `pool` for which `prefix + word` is one token under this tokenizer (cached). With
   * `min`, fewer than `min` such words is a CspError: the task cannot be expressed with this tokenizer.
   */
  singleTokenWords(pool: readonly string[], prefix?: string, min?: number): readonly string[];
  /** The words of `pool` before which `first` stays a token of its own (`(` + `item` is `(` `item`). */
  wordsKeepingApart(first: string, pool: readonly string[]): readonly string[];
}

/** A generator's definition: a name, what it tests, its targets, and how to draw one pair. */
export interface TaskDefinition {
  name: string;
  /** One line for `csp tasks list`. */
  description: string;
  /**
   * Target pairs in order of preference. The first whose texts are single tokens and that the tokenizer
   * actually produces after the prefixes (in at least half of 32 trial draws) is used for every pair.
   * Omit when every draft names its own targets.
   */
  targets?: readonly TargetChoice[];
  draw(ctx: DrawContext): PairDraft;
}

/** A generated pair with the continuations used to check it (for tests and inspection). */
export interface GeneratedPair {
  line: TaskLine & { id: string; split: "train" | "test" };
  aCont: string;
  bCont: string;
}

export interface GenerateOptions {
  seed: number;
  tokenizer: Tokenizer;
}

/** A built-in task generator (see TASK_GENERATORS). */
export interface TaskGenerator {
  name: string;
  description: string;
  /**
   * n distinct minimal pairs, deterministic in (seed, tokenizer). The last round(n·0.2) are the test split.
   * Throws a CspError when the tokenizer cannot express the task's targets as single tokens.
   */
  generate(n: number, options: GenerateOptions): TaskLine[];
  /** The same pairs with their continuations. */
  generatePairs(n: number, options: GenerateOptions): GeneratedPair[];
}

const TRIAL_DRAWS = 32;
const wordCache = new WeakMap<Tokenizer, Map<string, readonly string[]>>();

/** Word lists filtered by a tokenizer, cached per tokenizer (the filters run once per pool). */
function cached(tokenizer: Tokenizer, key: string, compute: () => readonly string[]): readonly string[] {
  let byKey = wordCache.get(tokenizer);
  if (byKey === undefined) wordCache.set(tokenizer, (byKey = new Map()));
  let words = byKey.get(key);
  if (words === undefined) byKey.set(key, (words = compute()));
  return words;
}

function singleTokenWords(tokenizer: Tokenizer, pool: readonly string[], prefix = ""): readonly string[] {
  return cached(tokenizer, `single\u0000${prefix}\u0000${pool.join("\u0001")}`, () =>
    pool.filter((w) => tokenizer.encode(prefix + w).length === 1),
  );
}

function wordsKeepingApart(tokenizer: Tokenizer, first: string, pool: readonly string[]): readonly string[] {
  const firstIds = tokenizer.encode(first);
  if (firstIds.length !== 1) return [];
  return cached(tokenizer, `apart\u0000${first}\u0000${pool.join("\u0001")}`, () =>
    pool.filter((w) => tokenizer.encode(first + w)[0] === firstIds[0]),
  );
}

function showTokens(tokenizer: Tokenizer, text: string): string {
  return tokenizer
    .encode(text)
    .map((id) => JSON.stringify(tokenizer.decode([id])))
    .join(" ");
}

/**
 * Why `next` is not the token that follows `prefix` when the text goes on with `cont`, or undefined when
 * it is: `next` must be one token, and encode(prefix + cont) must be encode(prefix) followed by it.
 */
export function targetProblem(
  tokenizer: Tokenizer,
  prefix: string,
  cont: string,
  next: string,
): string | undefined {
  if (!cont.startsWith(next)) return `${JSON.stringify(next)} does not start the continuation`;
  const nextIds = tokenizer.encode(next);
  if (nextIds.length !== 1)
    return `${JSON.stringify(next)} encodes to ${nextIds.length} tokens (${showTokens(tokenizer, next)})`;
  const head = tokenizer.encode(prefix);
  const full = tokenizer.encode(prefix + cont);
  const aligned = head.every((id, i) => full[i] === id);
  if (!aligned || full[head.length] !== nextIds[0])
    return `${JSON.stringify(next)} is not the next token in context (the text tokenizes as ${showTokens(tokenizer, next + cont.slice(next.length, next.length + 8))}...)`;
  return undefined;
}

/** Resolves one side's target: the first alternative that is the next token in context. */
function resolveTarget(
  tokenizer: Tokenizer,
  prefix: string,
  cont: string,
  wanted: string | readonly string[],
): { text?: string; problem?: string } {
  const alternatives = typeof wanted === "string" ? [wanted] : wanted;
  let problem = "no target alternatives";
  for (const alt of alternatives) {
    const p = targetProblem(tokenizer, prefix, cont, alt);
    if (p === undefined) return { text: alt };
    problem = p;
  }
  return { problem };
}

interface Checked {
  line?: { a: string; b: string; a_next: string; b_next: string };
  problem?: string;
}

function checkDraft(tokenizer: Tokenizer, draft: PairDraft, target: TargetChoice | undefined): Checked {
  const aWanted = draft.aNext ?? target?.a;
  const bWanted = draft.bNext ?? target?.b;
  if (aWanted === undefined || bWanted === undefined)
    throw new Error("task draft names no target and the task has no targets");
  if (draft.a === draft.b) return { problem: "A and B are the same text" };
  const a = resolveTarget(tokenizer, draft.a, draft.aCont, aWanted);
  if (a.text === undefined) return { problem: `A: ${a.problem}` };
  const b = resolveTarget(tokenizer, draft.b, draft.bCont, bWanted);
  if (b.text === undefined) return { problem: `B: ${b.problem}` };
  if (a.text === b.text) return { problem: `both targets are ${JSON.stringify(a.text)}` };
  return { line: { a: draft.a, b: draft.b, a_next: a.text, b_next: b.text } };
}

function makeContext(
  task: string,
  rng: TaskRng,
  tokenizer: Tokenizer,
  target: TargetChoice | undefined,
): DrawContext {
  return {
    rng,
    tokenizer,
    target,
    singleTokenWords: (pool, prefix, min = 0) => {
      const words = singleTokenWords(tokenizer, pool, prefix);
      if (words.length < min)
        throw new CspError(
          `task ${task}: this tokenizer makes only ${words.length} of ${pool.length} candidate words one token (after ${JSON.stringify(prefix ?? "")}); the task needs ${min}`,
        );
      return words;
    },
    wordsKeepingApart: (first, pool) => wordsKeepingApart(tokenizer, first, pool),
  };
}

/** The first target pair of the task that works with this tokenizer, or a CspError listing why none does. */
function chooseTarget(def: TaskDefinition, seed: number, tokenizer: Tokenizer): TargetChoice | undefined {
  if (def.targets === undefined) return undefined;
  const reasons: string[] = [];
  for (const [i, target] of def.targets.entries()) {
    const multi = [target.a, target.b].find((t) => tokenizer.encode(t).length !== 1);
    if (multi !== undefined) {
      reasons.push(`${JSON.stringify(multi)} is ${showTokens(tokenizer, multi)}`);
      continue;
    }
    const rng = new TaskRng(taskLabelSeed(seed, `${def.name}/target-trial/${i}`));
    const ctx = makeContext(def.name, rng, tokenizer, target);
    let ok = 0;
    let lastProblem = "";
    for (let k = 0; k < TRIAL_DRAWS; k++) {
      const checked = checkDraft(tokenizer, def.draw(ctx), target);
      if (checked.line) ok++;
      else lastProblem = checked.problem!;
    }
    if (ok * 2 >= TRIAL_DRAWS) return target;
    reasons.push(
      `${JSON.stringify(target.a)}/${JSON.stringify(target.b)} fits only ${ok} of ${TRIAL_DRAWS} trial pairs (${lastProblem})`,
    );
  }
  throw new CspError(
    `task ${def.name}: this tokenizer cannot express the targets as single next tokens: ${reasons.join("; ")}`,
  );
}

function generatePairs(def: TaskDefinition, n: number, options: GenerateOptions): GeneratedPair[] {
  if (!Number.isInteger(n) || n < 1)
    throw new CspError(`task ${def.name}: n must be a positive integer, got ${n}`);
  if (!Number.isSafeInteger(options.seed)) throw new CspError(`task ${def.name}: seed must be an integer`);
  const { tokenizer, seed } = options;
  const target = chooseTarget(def, seed, tokenizer);
  const ctx = makeContext(def.name, new TaskRng(taskLabelSeed(seed, def.name)), tokenizer, target);
  const nTest = Math.round(n * TEST_FRACTION);
  const seen = new Set<string>();
  const problems = new Map<string, number>();
  const out: GeneratedPair[] = [];
  const maxDraws = 50 * n + 1000;
  for (let draws = 0; out.length < n; draws++) {
    if (draws >= maxDraws) {
      const [worst] = [...problems.entries()].sort((x, y) => y[1] - x[1]);
      const why = worst ? `most common rejection (${worst[1]}×): ${worst[0]}` : "";
      throw new CspError(
        `task ${def.name}: only ${out.length} of ${n} distinct pairs after ${draws} draws; ${why}`,
      );
    }
    const draft = def.draw(ctx);
    const key = JSON.stringify([draft.a, draft.b]);
    const checked: Checked = seen.has(key)
      ? { problem: "duplicate pair" }
      : checkDraft(tokenizer, draft, target);
    if (checked.line === undefined) {
      const p = checked.problem ?? "rejected";
      problems.set(p, (problems.get(p) ?? 0) + 1);
      continue;
    }
    seen.add(key);
    const i = out.length;
    out.push({
      line: { id: `${def.name}-${i}`, split: i >= n - nTest ? "test" : "train", ...checked.line },
      aCont: draft.aCont,
      bCont: draft.bCont,
    });
  }
  return out;
}

/** Turns a definition into a generator. */
export function defineTask(def: TaskDefinition): TaskGenerator {
  return {
    name: def.name,
    description: def.description,
    generate: (n, options) => generatePairs(def, n, options).map((p) => p.line),
    generatePairs: (n, options) => generatePairs(def, n, options),
  };
}
