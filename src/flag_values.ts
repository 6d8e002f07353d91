/**
 * Checked values from strings: a command-line flag or a field of a spec file. Every error is a one-line
 * CspError that names the flag or field (its label) and the value it got. An absent value (undefined)
 * gives the fallback, which may itself be undefined (a flag with no default) or null (a setting that is off).
 */
import { CspError } from "./errors.js";

/** Inclusive bounds of an integer; a bound left out is open. */
export interface IntRange {
  min?: number;
  max?: number;
}

/** Bounds of a number: inclusive unless `minExclusive`; a bound left out is open. */
export interface NumRange {
  min?: number;
  max?: number;
  minExclusive?: boolean;
}

const blank = (value: string) => value.trim() === "";

/** An integer inside `range` (default: ≥ 1), or a CspError naming the flag. */
export function intFlag<F extends number | null | undefined>(
  flag: string,
  value: string | undefined,
  fallback: F,
  range: IntRange = { min: 1 },
): number | F {
  if (value === undefined) return fallback;
  const n = Number(value);
  const { min, max } = range;
  if (
    blank(value) ||
    !Number.isSafeInteger(n) ||
    (min !== undefined && n < min) ||
    (max !== undefined && n > max)
  ) {
    const bounds = [
      min !== undefined ? ` ≥ ${min}` : "",
      max !== undefined ? `${min !== undefined ? " and" : ""} ≤ ${max}` : "",
    ];
    throw new CspError(`${flag}: expected an integer${bounds.join("")}, got "${value}"`);
  }
  return n;
}

/** A number inside `range`, or a CspError naming the flag. */
export function numFlag<F extends number | null | undefined>(
  flag: string,
  value: string | undefined,
  fallback: F,
  range: NumRange = {},
): number | F {
  if (value === undefined) return fallback;
  const n = Number(value);
  const lowOk = range.min === undefined || (range.minExclusive ? n > range.min : n >= range.min);
  const highOk = range.max === undefined || n <= range.max;
  if (blank(value) || !Number.isFinite(n) || !lowOk || !highOk) {
    const low = range.min !== undefined ? ` ${range.minExclusive ? ">" : "≥"} ${range.min}` : "";
    const high = range.max !== undefined ? `${low ? " and" : ""} ≤ ${range.max}` : "";
    throw new CspError(`${flag}: expected a number${low}${high}, got "${value}"`);
  }
  return n;
}

/** One of a fixed set of words, or a CspError listing them. */
export function choiceFlag<T extends string, F extends T | undefined>(
  flag: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: F,
): T | F {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value))
    throw new CspError(`${flag}: expected one of ${choices.join(", ")}, got "${value}"`);
  return value as T;
}
