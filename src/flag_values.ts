/**
 * Checked values from strings: a command-line flag or a field of a spec file. Every error is a CspError
 * that names the flag or field (its label) and the value it got.
 */
import { CspError } from "./errors.js";

/** A command-line integer ≥ min, or a CspError naming the flag. */
export function intFlag(flag: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new CspError(`${flag}: expected an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** A command-line number inside [min, max] (exclusive bounds where asked), or a CspError naming the flag. */
export function numFlag(
  flag: string,
  value: string | undefined,
  fallback: number,
  range: { min?: number; max?: number; minExclusive?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const lowOk = range.min === undefined || (range.minExclusive ? n > range.min : n >= range.min);
  const highOk = range.max === undefined || n <= range.max;
  if (value.trim() === "" || !Number.isFinite(n) || !lowOk || !highOk) {
    const bounds = `${range.min !== undefined ? `${range.minExclusive ? ">" : "≥"} ${range.min}` : ""}${range.max !== undefined ? ` and ≤ ${range.max}` : ""}`;
    throw new CspError(`${flag}: expected a number${bounds ? ` ${bounds}` : ""}, got "${value}"`);
  }
  return n;
}

/** One of a fixed set of words, or a CspError listing them. */
export function choiceFlag<T extends string>(
  flag: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value))
    throw new CspError(`${flag}: expected one of ${choices.join(", ")}, got "${value}"`);
  return value as T;
}
