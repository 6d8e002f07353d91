import type { TaskRng } from "../../random/task_rng.js";

/**
 * Pools and builders of everyday Python for the task generators. Everything is drawn from a TaskRng, so a
 * seed fixes the text. Builders take the names a task reserves (`avoid`) so filler never touches them.
 */

export const NOUNS = [
  "item",
  "value",
  "name",
  "node",
  "line",
  "key",
  "data",
  "entry",
  "record",
  "path",
  "result",
  "count",
  "total",
  "index",
  "size",
  "text",
  "word",
  "token",
  "user",
  "row",
  "field",
  "child",
  "parent",
  "block",
  "chunk",
  "task",
  "event",
  "message",
  "config",
  "option",
  "label",
  "score",
  "offset",
  "length",
  "buf",
  "group",
  "match",
  "source",
  "target",
  "prefix",
  "suffix",
  "header",
  "module",
  "request",
  "response",
  "obj",
  "attr",
  "arg",
  "part",
  "pair",
  "point",
  "edge",
  "cell",
  "frame",
  "state",
  "mode",
  "flag",
  "level",
  "limit",
  "width",
  "height",
  "depth",
  "step",
  "start",
  "end",
  "pos",
  "mask",
  "info",
  "meta",
  "stats",
  "status",
  "kind",
  "tag",
  "url",
  "host",
  "port",
  "timeout",
  "root",
  "tree",
  "graph",
  "rule",
  "spec",
] as const;

/** Collections to loop over. */
export const COLLECTIONS = [
  "items",
  "values",
  "names",
  "nodes",
  "lines",
  "records",
  "entries",
  "paths",
  "rows",
  "tokens",
  "words",
  "children",
  "tasks",
  "events",
  "results",
  "fields",
  "parts",
  "files",
  "keys",
  "blocks",
  "chunks",
  "users",
  "pairs",
  "points",
  "edges",
  "rules",
  "options",
  "args",
  "labels",
  "matches",
  "groups",
  "frames",
] as const;

export const VERBS = [
  "load",
  "save",
  "parse",
  "build",
  "process",
  "handle",
  "update",
  "check",
  "find",
  "get",
  "read",
  "write",
  "make",
  "compute",
  "collect",
  "format",
  "render",
  "validate",
  "convert",
  "merge",
  "split",
  "filter",
  "sort",
  "count",
  "apply",
  "run",
  "walk",
  "scan",
  "clean",
  "normalize",
  "resolve",
  "register",
  "create",
  "remove",
  "add",
  "encode",
  "decode",
  "emit",
  "flush",
  "fetch",
  "store",
  "visit",
  "expand",
  "extract",
] as const;

export const CLASS_NAMES = [
  "Parser",
  "Config",
  "Node",
  "Tree",
  "Cache",
  "Handler",
  "Manager",
  "Reader",
  "Writer",
  "Buffer",
  "Queue",
  "Record",
  "Point",
  "Session",
  "Client",
  "Server",
  "Job",
  "Task",
  "Graph",
  "Matrix",
  "Token",
  "Lexer",
  "Request",
  "Response",
  "Event",
  "Registry",
  "Loader",
  "Builder",
  "Formatter",
  "Counter",
  "Worker",
  "Context",
  "Field",
  "Option",
  "Item",
  "Entry",
  "Stack",
  "Table",
  "Index",
  "Report",
  "Channel",
  "Widget",
] as const;

/**
 * Messages for string literals: letters, spaces and inner punctuation only (no quotes, no apostrophes),
 * starting and ending with a letter so the quotes around them stay in their own tokens.
 */
export const MESSAGES = [
  "invalid value",
  "file not found",
  "connection closed",
  "could not parse config",
  "unexpected end of input",
  "done",
  "starting server",
  "missing key",
  "permission denied",
  "no such file or directory",
  "expected a number",
  "timeout reached",
  "shutting down",
  "skipping empty line",
  "unknown command",
  "loading config from disk",
  "saved results",
  "value must be positive",
  "size cannot be negative",
  "worker is ready",
  "retrying in a moment",
  "nothing to do",
  "unsupported format",
  "bad request",
  "index out of range",
  "processing batch",
  "waiting for the lock",
  "cache miss",
  "using defaults",
  "deprecated option",
  "invalid token",
  "empty input",
  "connection refused",
  "request failed",
  "writing output",
  "reading input",
  "created directory",
  "removed stale entries",
  "invalid argument",
  "Hello, world",
  "Error: invalid input",
  "Warning: option is deprecated",
  "Total",
  "Usage: main input output",
  "not implemented",
  "already running",
  "not a directory",
  "is a directory",
  "no match",
  "end of stream",
  "Processing file",
  "Found duplicate entry",
  "Skipping hidden file",
  "Ready",
  "OK",
  "Failed to connect",
] as const;

/** Lower-case words for keys, names and short strings. */
export const WORDS = [
  "name",
  "value",
  "key",
  "type",
  "id",
  "path",
  "mode",
  "data",
  "text",
  "host",
  "port",
  "user",
  "size",
  "count",
  "level",
  "status",
  "format",
  "encoding",
  "version",
  "title",
  "label",
  "source",
  "target",
  "default",
] as const;

/** Environment variable names (upper case letters and underscores). */
export const ENV_NAMES = [
  "HOME",
  "PATH",
  "USER",
  "DEBUG",
  "LOG_LEVEL",
  "CONFIG",
  "TMPDIR",
  "LANG",
  "SHELL",
  "EDITOR",
] as const;

export const COMMENTS = [
  "TODO: handle the empty case",
  "keep the original order",
  "skip hidden entries",
  "this is a hot path",
  "fall back to the default",
  "normalise first",
  "see the module docstring",
  "cache the result",
  "avoid a second lookup",
  "NOTE: order matters here",
  "the caller owns the lock",
  "make a copy first",
  "guard against bad input",
  "cheap check before the real work",
  "compatibility with older versions",
  "done in two passes",
  "the last one wins",
  "nothing to do",
  "XXX: revisit this",
  "stable sort",
] as const;

export const IMPORTS = [
  "import os",
  "import sys",
  "import re",
  "import json",
  "import logging",
  "import time",
  "import itertools",
  "import functools",
  "from collections import defaultdict",
  "from collections import OrderedDict",
  "from pathlib import Path",
  "from typing import Optional",
  "from typing import List, Dict",
  "import heapq",
  "from dataclasses import dataclass",
  "import math",
] as const;

/** A name not in `avoid` (the pools are large enough that this ends quickly). */
export function freshName(rng: TaskRng, pool: readonly string[], avoid: ReadonlySet<string>): string {
  for (let i = 0; i < 1000; i++) {
    const name = rng.pick(pool);
    if (!avoid.has(name)) return name;
  }
  throw new Error("freshName: every name is reserved");
}

/** A message for a string literal (see {@link MESSAGES}). */
export function message(rng: TaskRng): string {
  return rng.pick(MESSAGES);
}

/** A one-line docstring. */
export function docstring(rng: TaskRng): string {
  const noun = rng.pick(NOUNS);
  const coll = rng.pick(COLLECTIONS);
  return rng.pick([
    `Return the ${noun}.`,
    `Return the ${noun} for the given ${coll}.`,
    `Load ${coll} from the ${noun}.`,
    `Build the ${noun} from ${coll}.`,
    `Update the ${noun} in place.`,
    `Check that the ${noun} is valid.`,
    `Collect ${coll} and return them.`,
    `Helper for the ${noun} parser.`,
    `Yield ${coll} one at a time.`,
    `Convert ${coll} to a ${noun}.`,
  ]);
}

/** A small integer literal. */
export function intLiteral(rng: TaskRng): string {
  return String(
    rng.pick([0, 1, 2, 3, 4, 5, 8, 10, 16, 32, 64, 100, 128, 255, 256, 1000, 1024, rng.int(0, 999)]),
  );
}

export function funcName(rng: TaskRng): string {
  return rng.chance(0.25)
    ? rng.pick(VERBS)
    : `${rng.pick(VERBS)}_${rng.pick(rng.chance(0.5) ? NOUNS : COLLECTIONS)}`;
}

/** Zero to three import lines and a blank line, or nothing. */
export function preamble(rng: TaskRng): string {
  const r = rng.int(0, 3);
  if (r === 0) return "";
  const lines = rng.sample(IMPORTS, r);
  return `${lines.join("\n")}\n\n\n`;
}

/** An expression made only of names outside `avoid`. */
function fillerExpr(rng: TaskRng, other: string, coll: string): string {
  switch (rng.int(0, 9)) {
    case 0:
      return `len(${coll})`;
    case 1:
      return intLiteral(rng);
    case 2:
      return "None";
    case 3:
      return "[]";
    case 4:
      return "{}";
    case 5:
      return `${other} + ${intLiteral(rng)}`;
    case 6:
      return `${other}.get("${rng.pick(WORDS)}")`;
    case 7:
      return `'${rng.pick(WORDS)}'`;
    case 8:
      return `${coll}[0]`;
    default:
      return `${rng.pick(VERBS)}(${other})`;
  }
}

/**
 * One to two lines of ordinary code at indentation `ind` that read only `readable` names and assign only
 * fresh names outside `avoid`. Returns the lines with trailing newlines, and the names it assigned.
 */
export function fillerStatement(
  rng: TaskRng,
  ind: string,
  readable: readonly string[],
  avoid: ReadonlySet<string>,
): { text: string; assigned?: string } {
  const [other, coll] =
    readable.length >= 2
      ? rng.sample(readable, 2)
      : readable.length === 1
        ? [readable[0], readable[0]]
        : ["None", "[]"];
  switch (rng.int(0, 7)) {
    case 0:
    case 1:
    case 2: {
      const v = freshName(rng, NOUNS, avoid);
      return { text: `${ind}${v} = ${fillerExpr(rng, other, coll)}\n`, assigned: v };
    }
    case 3:
      return { text: `${ind}# ${rng.pick(COMMENTS)}\n` };
    case 4:
      return {
        text: `${ind}if not ${other}:\n${ind}    return ${rng.pick(["None", "[]", "False", "0", "''"])}\n`,
      };
    case 5:
      return { text: `${ind}logger.debug("${message(rng)}: %s", ${other})\n` };
    case 6:
      return { text: `${ind}assert ${other} is not None\n` };
    default: {
      const v = freshName(rng, NOUNS, avoid);
      return { text: `${ind}${v} = ${rng.pick(VERBS)}(${other}, ${coll})\n`, assigned: v };
    }
  }
}

/** `count` filler statements; names they assign become readable to the later ones. */
export function fillerLines(
  rng: TaskRng,
  ind: string,
  count: number,
  readable: readonly string[],
  avoid: ReadonlySet<string>,
): string {
  const names = [...readable];
  const reserved = new Set([...avoid, ...readable]);
  let text = "";
  for (let i = 0; i < count; i++) {
    const s = fillerStatement(rng, ind, names, reserved);
    text += s.text;
    if (s.assigned) {
      names.push(s.assigned);
      reserved.add(s.assigned);
    }
  }
  return text;
}

/** A function (or method, inside a class) whose body sits at the returned indentation. */
export interface Scope {
  /** Text up to the start of the body (header, optional docstring). */
  head: string;
  /** Indentation of the body. */
  ind: string;
  /** Parameter names usable in the body. */
  params: string[];
}

/**
 * A module preamble plus `def name(params):` (a method of a class half of the time), with an optional
 * docstring. `params` are the parameters the task needs; a few others may be added.
 */
export function functionScope(rng: TaskRng, params: readonly string[], avoid: ReadonlySet<string>): Scope {
  const all = [...params];
  const reserved = new Set([...avoid, ...params]);
  const extra = rng.int(0, params.length === 0 ? 2 : 1);
  for (let i = 0; i < extra; i++) {
    const p = freshName(rng, rng.chance(0.5) ? NOUNS : COLLECTIONS, reserved);
    reserved.add(p);
    all.splice(rng.int(0, all.length), 0, p);
  }
  const name = funcName(rng);
  const doc = rng.chance(0.3) ? `"""${docstring(rng)}"""\n` : "";
  const comment = rng.chance(0.2) ? `# ${rng.pick(COMMENTS)}\n` : "";
  if (rng.chance(0.5)) {
    const head = `${preamble(rng)}${comment}def ${name}(${all.join(", ")}):\n${doc ? `    ${doc}` : ""}`;
    return { head, ind: "    ", params: all };
  }
  const cls = rng.pick(CLASS_NAMES);
  const base = rng.chance(0.3) ? `(${rng.pick(["object", "Base", "Exception", "dict"])})` : "";
  const head =
    `${preamble(rng)}class ${cls}${base}:\n` +
    (rng.chance(0.3) ? `    ${rng.pick(NOUNS)} = ${intLiteral(rng)}\n\n` : "") +
    `${comment ? `    ${comment}` : ""}    def ${name}(${["self", ...all].join(", ")}):\n${doc ? `        ${doc}` : ""}`;
  return { head, ind: "        ", params: all };
}
