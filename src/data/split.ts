import { CspError } from "../errors.js";
import { fnv1a32 } from "../random/seed.js";

/** Default share of files held out for validation. */
export const DEFAULT_VAL_FRACTION = 0.02;

/** Which files (by index into the input) go to training and which to validation. */
export interface TrainValSplit {
  train: number[];
  val: number[];
}

/**
 * Splits files by a hash of their path relative to the corpus root, so a file keeps its side when other
 * files are added or removed and the split is the same on every machine with the same library layout:
 * a file is validation iff fnv1a32(relPath) / 2^32 < valFraction. Should either side come out empty, the
 * file with the smallest hash goes to validation (largest to training), so both sides always exist.
 */
export function splitTrainVal(
  relPaths: readonly string[],
  valFraction = DEFAULT_VAL_FRACTION,
): TrainValSplit {
  if (!(valFraction > 0 && valFraction <= 0.5))
    throw new CspError(`validation fraction ${valFraction} must be in (0, 0.5]`);
  if (relPaths.length < 2)
    throw new CspError(
      `corpus: ${relPaths.length} usable file(s); a train/validation split needs at least 2`,
    );
  const hashes = relPaths.map(fnv1a32);
  const isVal = hashes.map((h) => h / 2 ** 32 < valFraction);
  // Ties in hash are broken by index so the fallback is deterministic too.
  const order = hashes.map((_, i) => i).sort((a, b) => hashes[a] - hashes[b] || a - b);
  if (!isVal.some(Boolean)) isVal[order[0]] = true;
  if (isVal.every(Boolean)) isVal[order[order.length - 1]] = false;
  const split: TrainValSplit = { train: [], val: [] };
  isVal.forEach((val, i) => (val ? split.val : split.train).push(i));
  return split;
}
