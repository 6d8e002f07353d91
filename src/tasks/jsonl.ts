import { writeFileAtomic } from "../io/atomic.js";
import type { TaskLine } from "./task.js";

/** One JSON object per line, keys in a fixed order (id, split, a, b, a_next, b_next). */
export function formatTaskJsonl(lines: readonly TaskLine[]): string {
  return lines
    .map((l) => {
      const obj: Record<string, string> = {};
      if (l.id !== undefined) obj.id = l.id;
      if (l.split !== undefined) obj.split = l.split;
      obj.a = l.a;
      obj.b = l.b;
      obj.a_next = l.a_next;
      obj.b_next = l.b_next;
      return JSON.stringify(obj) + "\n";
    })
    .join("");
}

/** Writes a task file atomically (readers never see half a file). */
export function writeTaskJsonl(path: string, lines: readonly TaskLine[]): void {
  writeFileAtomic(path, formatTaskJsonl(lines));
}
