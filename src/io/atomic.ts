import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";

/**
 * Writes a file so that readers see either the old content or the whole new content, never a part:
 * write to a temporary sibling, fsync, then rename over the target.
 */
export function writeFileAtomic(
  path: string,
  chunks: Uint8Array | string | readonly (Uint8Array | string)[],
): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const list = Array.isArray(chunks) ? chunks : [chunks];
  const fd = openSync(tmp, "w");
  try {
    for (const c of list) {
      const bytes = typeof c === "string" ? Buffer.from(c, "utf8") : c;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
