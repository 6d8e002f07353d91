/** --val-fraction's range: the corpus split (data/split.ts) holds out a share in (0, 0.5]. */
export const VAL_FRACTION_RANGE = { min: 0, minExclusive: true, max: 0.5 } as const;
