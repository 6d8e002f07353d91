import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { CspError, fileError } from "../errors.js";
import type { Tokenizer } from "../tokenizer/index.js";
import {
  DEFAULT_TASK_MAX_LEN,
  TASK_SPLITS,
  defaultSplit,
  type Task,
  type TaskLine,
  type TaskPair,
  type TaskSplit,
} from "./task.js";

/** Options of {@link loadTask}. */
export interface LoadTaskOptions {
  /** Keep only the last maxLen tokens of each sequence (the reference's left truncation). Default 255. */
  maxLen?: number;
  /** Task name; default: the file name without `.jsonl`. */
  name?: string;
}

/** A parsed line and where it came from (1-based line number), for error messages. */
export interface NumberedTaskLine {
  line: number;
  value: TaskLine;
}

const REQUIRED_KEYS = ["a", "b", "a_next", "b_next"] as const;
const KNOWN_KEYS = new Set<string>([...REQUIRED_KEYS, "id", "split"]);

/** Shortens a value for an error message. */
function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * Parses task JSONL text (one object per line; blank lines are skipped) and checks each object's fields:
 * `a`, `b`, `a_next`, `b_next` non-empty strings, `a_next` ≠ `b_next`, optional `id` (string or integer,
 * unique) and `split` ("train" | "test"), no other keys. Errors name the file and the line.
 */
export function parseTaskJsonl(text: string, file: string): NumberedTaskLine[] {
  const out: NumberedTaskLine[] = [];
  const ids = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, "");
    if (raw.trim() === "") continue;
    const where = `line ${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw fileError(file, `${where}: malformed JSON (${(e as Error).message.split("\n")[0]})`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj))
      throw fileError(file, `${where}: expected a JSON object, got ${show(obj)}`);
    const rec = obj as Record<string, unknown>;
    for (const key of Object.keys(rec))
      if (!KNOWN_KEYS.has(key))
        throw fileError(file, `${where}: unknown field "${key}" (allowed: ${[...KNOWN_KEYS].join(", ")})`);
    for (const key of REQUIRED_KEYS) {
      const v = rec[key];
      if (v === undefined) throw fileError(file, `${where}: missing field "${key}"`);
      if (typeof v !== "string") throw fileError(file, `${where}: "${key}" must be a string, got ${show(v)}`);
      if (v === "") throw fileError(file, `${where}: "${key}" is empty`);
    }
    const value: TaskLine = {
      a: rec.a as string,
      b: rec.b as string,
      a_next: rec.a_next as string,
      b_next: rec.b_next as string,
    };
    if (value.a_next === value.b_next)
      throw fileError(file, `${where}: "a_next" and "b_next" are both ${show(value.a_next)}`);
    if (rec.id !== undefined) {
      if (typeof rec.id === "string" && rec.id !== "") value.id = rec.id;
      else if (typeof rec.id === "number" && Number.isSafeInteger(rec.id)) value.id = String(rec.id);
      else
        throw fileError(file, `${where}: "id" must be a non-empty string or an integer, got ${show(rec.id)}`);
      const earlier = ids.get(value.id);
      if (earlier !== undefined)
        throw fileError(file, `${where}: id ${show(value.id)} repeats line ${earlier}`);
      ids.set(value.id, i + 1);
    }
    if (rec.split !== undefined) {
      if (!TASK_SPLITS.includes(rec.split as TaskSplit))
        throw fileError(file, `${where}: unknown split ${show(rec.split)} (expected "train" or "test")`);
      value.split = rec.split as TaskSplit;
    }
    out.push({ line: i + 1, value });
  }
  if (out.length === 0) throw fileError(file, "no task pairs (the file is empty)");
  return out;
}

/** The single token id of a target text, or a CspError saying how it encodes. */
function targetId(tokenizer: Tokenizer, text: string, where: string, file: string, key: string): number {
  const ids = tokenizer.encode(text);
  if (ids.length !== 1) {
    const pieces = ids.map((id) => JSON.stringify(tokenizer.decode([id]))).join(" ");
    throw fileError(
      file,
      `${where}: "${key}" ${JSON.stringify(text)} encodes to ${ids.length} tokens (${pieces}), expected 1`,
    );
  }
  return ids[0];
}

/**
 * Tokenizes parsed task lines. Ids default to the line number. If no line names a split, each pair gets
 * {@link defaultSplit} of its id; if some lines do and others don't, that is an error.
 */
export function tokenizeTaskLines(
  lines: readonly NumberedTaskLine[],
  tokenizer: Tokenizer,
  options: { file: string; maxLen?: number },
): TaskPair[] {
  const { file } = options;
  const maxLen = options.maxLen ?? DEFAULT_TASK_MAX_LEN;
  if (!Number.isInteger(maxLen) || maxLen < 1)
    throw new CspError(`${file}: maxLen must be a positive integer, got ${maxLen}`);
  const withSplit = lines.filter((l) => l.value.split !== undefined).length;
  if (withSplit > 0 && withSplit < lines.length) {
    const first = lines.find((l) => l.value.split === undefined)!;
    throw fileError(
      file,
      `line ${first.line}: no "split" although ${withSplit} other lines have one (give every line a split or none)`,
    );
  }
  const seen = new Set<string>();
  return lines.map(({ line, value }) => {
    const where = `line ${line}`;
    const id = value.id ?? String(line);
    // An explicit id may collide with another line's default (line-number) id.
    if (seen.has(id)) throw fileError(file, `${where}: id ${JSON.stringify(id)} is used by another line`);
    seen.add(id);
    const encodeSeq = (text: string): Int32Array => {
      const ids = tokenizer.encode(text);
      return Int32Array.from(ids.length > maxLen ? ids.slice(ids.length - maxLen) : ids);
    };
    return {
      id,
      split: value.split ?? defaultSplit(id),
      a: encodeSeq(value.a),
      b: encodeSeq(value.b),
      aNext: targetId(tokenizer, value.a_next, where, file, "a_next"),
      bNext: targetId(tokenizer, value.b_next, where, file, "b_next"),
    };
  });
}

/** The task name of a file: its base name without `.jsonl`. */
export function taskNameOf(path: string): string {
  return basename(path).replace(/\.jsonl$/i, "");
}

/**
 * Loads a task file (JSONL, one minimal pair per line; see docs/tasks.md) and tokenizes it. Every
 * problem is a CspError naming the file and, where there is one, the line.
 */
export function loadTask(path: string, tokenizer: Tokenizer, options: LoadTaskOptions = {}): Task {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fileError(path, `cannot read (${(e as Error).message})`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw fileError(path, "is not valid UTF-8");
  }
  const lines = parseTaskJsonl(text, path);
  const pairs = tokenizeTaskLines(lines, tokenizer, { file: path, maxLen: options.maxLen });
  return { name: options.name ?? taskNameOf(path), pairs };
}
