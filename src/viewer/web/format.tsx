/** Number and name formatting shared by the views (pure: no DOM, so Node tests can import it). */

/** A circuit file's name without its directory or `.json`: the stem of every file the viewer saves. */
export const baseName = (file: string) =>
  file
    .split(/[\\/]/)
    .pop()!
    .replace(/\.json$/, "");

export function fmtLoss(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return "–";
  if (v === 0) return "0";
  return Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2);
}

export function fmtNum(v: number | undefined, digits = 3): string {
  if (v === undefined || !Number.isFinite(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1000 || a < 0.001 ? v.toExponential(2) : v.toPrecision(digits);
}

/** Makes whitespace visible in token lists: spaces as ␣, newlines as ⏎, tabs as ⇥. */
export function showToken(text: string): string {
  return text.replace(/ /g, "␣").replace(/\n/g, "⏎").replace(/\t/g, "⇥");
}

/** Text of a token inside running text: spaces kept, a newline shown as ⏎ (the line break follows). */
export function inlineToken(text: string): string {
  return text.replace(/\n/g, "⏎").replace(/\t/g, "    ");
}

/** A token's text for a one-line input: backslash, newline, tab and carriage return written as \\ \n \t \r. */
export function escapeToken(text: string): string {
  return text.replace(/[\\\n\t\r]/g, (c) => ({ "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r" })[c]!);
}

/** The inverse of escapeToken: \n, \t, \r and \\ become the characters; any other backslash stays. */
export function unescapeToken(text: string): string {
  return text.replace(/\\([\\ntr])/g, (_, c: string) => ({ "\\": "\\", n: "\n", t: "\t", r: "\r" })[c]!);
}
