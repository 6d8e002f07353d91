import { mulberry32Unit } from "../random/frozen_mulberry32.js";

/**
 * The "simple idioms" corpus: small, plain Python modules written by a seeded statement grammar, the
 * CPU-scale stand-in for the paper's TinyStories-like component of simple, repetitive Python (spec D.1;
 * the paper's data is not released). It draws from everyday constructs (functions with defaults, if/elif/
 * else, for and while loops, strings in both quote styles, nested lists, dicts, sets, with-open, lambdas,
 * classes, swaps, try/except), so that a model trained for minutes sees each idiom thousands of times.
 * It is a general statement grammar, not built from the task generators' templates. NAMES overlaps the
 * task generators' NOUNS (everyday names); it stays a separate, frozen list because the zoo was trained
 * on this exact text (a change here changes the corpus).
 */

const NAMES = [
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
  "group",
  "source",
  "target",
  "prefix",
  "header",
  "request",
  "response",
  "obj",
  "part",
  "pair",
  "point",
  "cell",
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
  "info",
  "status",
  "kind",
  "code",
  "number",
  "price",
  "amount",
  "color",
  "title",
  "url",
  "city",
  "age",
  "x",
  "y",
  "n",
  "i",
  "j",
  "k",
  "a",
  "b",
  "s",
  "v",
  "current",
  "queue",
  "stack",
  "seen",
  "visited",
  "counts",
  "items",
  "values",
  "names",
  "lines",
  "words",
  "rows",
  "parts",
  "results",
  "nodes",
  "users",
  "cache",
  "lookup",
  "table",
  "buffer",
  "output",
  "content",
  "filename",
  "matrix",
  "grid",
  "scores",
];
const FUNCS = [
  "process",
  "parse",
  "load",
  "save",
  "update",
  "compute",
  "build",
  "check",
  "find",
  "get",
  "make",
  "read",
  "write",
  "handle",
  "render",
  "format",
  "clean",
  "merge",
  "split",
  "count",
  "filter",
  "sort",
  "validate",
  "convert",
  "apply",
  "collect",
  "search",
  "visit",
  "add",
  "remove",
  "run",
  "send",
  "print",
];
const CLASSES = [
  "Node",
  "Tree",
  "Graph",
  "User",
  "Account",
  "Item",
  "Order",
  "Queue",
  "Stack",
  "Parser",
  "Config",
  "Point",
  "Vector",
  "Matrix",
  "Cache",
  "Record",
  "Task",
  "Event",
  "Shape",
  "Circle",
  "Player",
  "Game",
  "Animal",
  "Dog",
  "Car",
  "Book",
  "Library",
  "Student",
  "Course",
  "Bank",
  "Counter",
  "Timer",
  "Logger",
];
const STRINGS = [
  "hello",
  "world",
  "done",
  "error",
  "name",
  "value",
  "data",
  "result",
  "ok",
  "yes",
  "no",
  "start",
  "stop",
  "red",
  "green",
  "blue",
  "apple",
  "banana",
  "cat",
  "dog",
  "input",
  "output",
  "total",
  "key",
  "id",
  "Hello, world!",
  "not found",
  "invalid value",
  "file not found",
  "processing",
  "finished",
  "a",
  "b",
  "x",
  "abc",
  "test",
  "user",
  "admin",
  "guest",
  "utf-8",
  "data.txt",
  "output.txt",
  "config.json",
];
const FILES_IN = ["data.txt", "input.txt", "config.json", "notes.txt", "words.txt", "scores.csv"];
const FILES_OUT = ["output.txt", "result.txt", "log.txt", "report.txt", "out.csv", "summary.txt"];
const MODULES = ["os", "sys", "math", "random", "json", "re", "time", "collections", "itertools"];

/** A seeded source of choices. */
class Draw {
  private readonly u: () => number;
  constructor(seed: number) {
    this.u = mulberry32Unit(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.u() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.u() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.u() * xs.length)];
  }
  /** A name not in `taken` (falls back to a numbered one). */
  fresh(taken: Set<string>, pool: readonly string[] = NAMES): string {
    for (let t = 0; t < 8; t++) {
      const n = this.pick(pool);
      if (!taken.has(n)) {
        taken.add(n);
        return n;
      }
    }
    const n = `${this.pick(pool)}${taken.size}`;
    taken.add(n);
    return n;
  }
}

/** The variables in scope while writing one function body. */
interface Scope {
  d: Draw;
  vars: string[];
  taken: Set<string>;
}

function str(d: Draw, s: string = d.pick(STRINGS)): string {
  return d.chance(0.5) ? `"${s}"` : `'${s}'`;
}

/** `lambda p: p<tail>` with one parameter name used on both sides. */
function lambda(d: Draw, tail: string): string {
  const p = d.pick(["x", "a", "item", "p", "s"]);
  return `lambda ${p}: ${p}${tail}`;
}

function literal(d: Draw): string {
  switch (d.int(0, 6)) {
    case 0:
      return String(d.int(0, 9));
    case 1:
      return String(d.int(10, 100));
    case 2:
      return str(d);
    case 3:
      return d.pick(["None", "True", "False"]);
    case 4:
      return `[${Array.from({ length: d.int(0, 4) }, () => d.int(0, 20)).join(", ")}]`;
    case 5:
      return `{${str(d)}: ${d.int(0, 9)}}`;
    default:
      return d.pick(["0.5", "1.0", "[]", "{}", "set()", '""', "''"]);
  }
}

/** A variable in scope (for method calls and f-string fields, which a literal would break). */
function variable(s: Scope): string {
  return s.vars.length > 0 ? s.d.pick(s.vars) : s.d.pick(["data", "config", "value"]);
}

function operand(s: Scope): string {
  return s.vars.length > 0 && s.d.chance(0.7) ? s.d.pick(s.vars) : literal(s.d);
}

function condition(s: Scope): string {
  const v = s.vars.length > 0 ? s.d.pick(s.vars) : "x";
  switch (s.d.int(0, 8)) {
    case 0:
      return `${v} > ${s.d.int(0, 10)}`;
    case 1:
      return `${v} == ${operand(s)}`;
    case 2:
      return `${v} is None`;
    case 3:
      return `${v} is not None`;
    case 4:
      return `not ${v}`;
    case 5:
      return `${v} in ${s.d.pick(["seen", "items", "cache", "names", "self.items"])}`;
    case 6:
      return `isinstance(${v}, ${s.d.pick(["str", "int", "list", "dict"])})`;
    case 7:
      return `len(${v}) ${s.d.pick(["==", ">", "<", "!="])} ${s.d.int(0, 5)}`;
    default:
      return `${v} ${s.d.pick(["<", "<=", ">=", "!="])} ${operand(s)}`;
  }
}

function expression(s: Scope): string {
  const d = s.d;
  const v = () => operand(s);
  switch (d.int(0, 11)) {
    case 0:
      return `${v()} + ${v()}`;
    case 1:
      return `${d.pick(FUNCS)}_${d.pick(NAMES)}(${v()})`;
    case 2:
      return `len(${v()})`;
    case 3:
      return `${v()} if ${condition(s)} else ${v()}`;
    case 4:
      return `[${d.pick(NAMES)} for ${d.pick(NAMES)} in ${v()}]`;
    case 5:
      return `${variable(s)}.get(${str(d)}, ${literal(d)})`;
    case 6:
      return `f"${d.pick(STRINGS)} {${variable(s)}}"`;
    case 7:
      return `${str(d)}.format(${v()})`;
    case 8:
      return `sorted(${v()}, key=${lambda(d, d.pick(["[0]", "[1]", ".name", ".score"]))})`;
    case 9:
      return `${v()} * ${d.int(2, 10)}`;
    case 10:
      return `str(${v()})`;
    default:
      return v();
  }
}

/** One simple statement (one line) at indentation `ind`. */
function simpleStatement(s: Scope, ind: string): string {
  const d = s.d;
  switch (d.int(0, 13)) {
    case 0:
    case 1: {
      const n = d.fresh(s.taken);
      s.vars.push(n);
      return `${ind}${n} = ${expression(s)}\n`;
    }
    case 2:
      return `${ind}print(${d.chance(0.5) ? str(d) : expression(s)})\n`;
    case 3:
      return `${ind}${d.pick(s.vars.length ? s.vars : ["total"])} += ${d.chance(0.5) ? "1" : operand(s)}\n`;
    case 4:
      return `${ind}${d.pick(["results", "items", "names", "lines", "output"])}.append(${operand(s)})\n`;
    case 5: {
      const n = d.fresh(s.taken);
      s.vars.push(n);
      return `${ind}${n} = set()\n${ind}${n}.add(${operand(s)})\n`;
    }
    case 6: {
      const n = d.fresh(s.taken);
      s.vars.push(n);
      return `${ind}${n} = ${str(d, "")}\n${ind}${n} += ${str(d)}\n`;
    }
    case 7: {
      if (s.vars.length < 2) return `${ind}pass\n`;
      const a = d.pick(s.vars);
      const b = d.pick(s.vars.filter((x) => x !== a));
      return `${ind}${a}, ${b} = ${b}, ${a}\n`;
    }
    case 8: {
      const n = d.fresh(s.taken);
      s.vars.push(n);
      return `${ind}${n} = {${str(d)}: ${operand(s)}, ${str(d)}: ${operand(s)}}\n`;
    }
    case 9: {
      const n = d.fresh(s.taken);
      s.vars.push(n);
      const inner = () => `[${Array.from({ length: d.int(1, 3) }, () => d.int(0, 20)).join(", ")}]`;
      return `${ind}${n} = [${Array.from({ length: d.int(1, 3) }, inner).join(", ")}]\n`;
    }
    case 10: {
      const n = d.fresh(s.taken);
      s.vars.push(n);
      return `${ind}${n} = ${lambda(d, d.pick([" + 1", " * 2", " > 0", " is None", ".strip()"]))}\n`;
    }
    case 11:
      return `${ind}${d.pick(["logger.info", "logging.debug", "print"])}(${str(d)} % ${operand(s)})\n`;
    case 12: {
      const n = d.fresh(s.taken);
      s.vars.push(n);
      return `${ind}${n} = ${d.pick(["True", "False", "None", "0", "[]"])}\n`;
    }
    default:
      return `${ind}${d.pick(s.vars.length ? s.vars : ["x"])} = ${expression(s)}\n`;
  }
}

/** A statement that may open a block; `depth` bounds nesting. */
function statement(s: Scope, ind: string, depth: number): string {
  const d = s.d;
  if (depth >= 2 || d.chance(0.55)) return simpleStatement(s, ind);
  const inner = `${ind}    `;
  const body = (n = d.int(1, 3)) => Array.from({ length: n }, () => statement(s, inner, depth + 1)).join("");
  switch (d.int(0, 8)) {
    case 0: {
      let out = `${ind}if ${condition(s)}:\n${body()}`;
      if (d.chance(0.4)) out += `${ind}elif ${condition(s)}:\n${body()}`;
      if (d.chance(0.5)) out += `${ind}else:\n${body()}`;
      return out;
    }
    case 1: {
      const x = d.fresh(s.taken);
      s.vars.push(x);
      const over = d.pick([
        `range(${d.int(1, 20)})`,
        `range(len(${operand(s)}))`,
        d.pick(s.vars),
        `${d.pick(["items", "names", "lines", "words", "rows"])}`,
        `sorted(${d.pick(s.vars)})`,
      ]);
      return `${ind}for ${x} in ${over}:\n${body()}`;
    }
    case 2: {
      const i = d.fresh(s.taken, ["i", "idx", "index", "n", "pos"]);
      const x = d.fresh(s.taken);
      s.vars.push(i, x);
      return `${ind}for ${i}, ${x} in enumerate(${d.pick(["items", "lines", "names", "values"])}):\n${body()}`;
    }
    case 3: {
      const k = d.fresh(s.taken, ["key", "k", "name", "field"]);
      const v = d.fresh(s.taken);
      s.vars.push(k, v);
      return `${ind}for ${k}, ${v} in ${d.pick(["data", "config", "counts", "table"])}.items():\n${body()}`;
    }
    case 4:
      return `${ind}while ${condition(s)}:\n${body()}${inner}${d.pick(["break", "count += 1", "i += 1"])}\n`;
    case 5:
      return `${ind}while True:\n${body()}${inner}if ${condition(s)}:\n${inner}    break\n`;
    case 6: {
      const f = d.pick(["f", "fh", "infile", "fp"]);
      const write = d.chance(0.5);
      const file = write ? d.pick(FILES_OUT) : d.pick(FILES_IN);
      const mode = write ? d.pick(["w", "a"]) : "r";
      const q = d.chance(0.5) ? '"' : "'";
      const use = write
        ? `${inner}${f}.write(${operand(s)})\n`
        : `${inner}${d.fresh(s.taken)} = ${f}.read()\n`;
      return `${ind}with open(${q}${file}${q}, ${q}${mode}${q}) as ${f}:\n${use}`;
    }
    case 7:
      return `${ind}try:\n${body()}${ind}except ${d.pick(["ValueError", "KeyError", "Exception", "IndexError"])}${d.chance(0.5) ? " as e" : ""}:\n${body(1)}`;
    default:
      return `${ind}return ${d.pick([expression(s), "True", "False", "None", operand(s)])}\n`;
  }
}

function functionDef(d: Draw, ind: string, method: boolean): string {
  const taken = new Set<string>();
  const params = Array.from({ length: d.int(0, 3) }, () => d.fresh(taken));
  const withDefaults = params.map((p, i) =>
    i >= params.length - d.int(0, params.length)
      ? `${p}=${d.pick(["None", "0", "1", "True", "False", '""', "[]"])}`
      : p,
  );
  // Keyword parameters may only follow positional ones.
  const firstDefault = withDefaults.findIndex((p) => p.includes("="));
  const fixed = withDefaults.map((p, i) =>
    firstDefault >= 0 && i > firstDefault && !p.includes("=") ? `${p}=None` : p,
  );
  const all = method ? ["self", ...fixed] : fixed;
  const s: Scope = { d, vars: [...params], taken };
  const inner = `${ind}    `;
  let body = d.chance(0.3) ? `${inner}"""${d.pick(FUNCS)} the ${d.pick(NAMES)}."""\n` : "";
  for (let n = d.int(2, 6); n > 0; n--) body += statement(s, inner, 0);
  if (d.chance(0.6)) body += `${inner}return ${d.pick([operand(s), "True", "False", "None", "result"])}\n`;
  return `${ind}def ${d.pick(FUNCS)}_${d.pick(NAMES)}(${all.join(", ")}):\n${body}`;
}

function classDef(d: Draw): string {
  const taken = new Set<string>();
  const fields = Array.from({ length: d.int(1, 4) }, () => d.fresh(taken));
  let out = `class ${d.pick(CLASSES)}${d.chance(0.3) ? `(${d.pick(CLASSES)})` : ""}:\n`;
  out += `    def __init__(self, ${fields.join(", ")}):\n`;
  for (const f of fields) out += `        self.${f} = ${f}\n`;
  if (d.chance(0.5))
    out += `        self.${d.pick(["items", "children", "cache", "seen"])} = ${d.pick(["[]", "{}", "set()"])}\n`;
  for (let n = d.int(1, 3); n > 0; n--) out += `\n${functionDef(d, "    ", true)}`;
  return out;
}

/** One module: imports, then functions, classes and a main guard. Deterministic in `seed`. */
export function simplePythonModule(seed: number): string {
  const d = new Draw(seed);
  let out = "";
  const imports = new Set(Array.from({ length: d.int(0, 3) }, () => d.pick(MODULES)));
  for (const m of imports) out += `import ${m}\n`;
  if (imports.size) out += "\n";
  for (let n = d.int(2, 5); n > 0; n--)
    out += `\n${d.chance(0.25) ? classDef(d) : functionDef(d, "", false)}\n`;
  if (d.chance(0.3)) out += `\nif __name__ == "__main__":\n    ${d.pick(FUNCS)}_${d.pick(NAMES)}()\n`;
  return out;
}
