/**
 * Seeded randomness: the one home, and the rule for which generator to use (docs/determinism.md).
 *
 * - Generator: {@link Rng} (xoshiro128**, state serialisable for resume). All new code draws from it;
 *   {@link TaskRng} is a convenience API over it (ranges, coins, picks, samples).
 * - Seed derivation: {@link mixSeed}(seed, ...integer coordinates); a string label enters as
 *   `mixSeed(seed, fnv1a32(label))`.
 *
 * Frozen, kept bit for bit because committed or pinned outputs depend on them (replacing them was
 * measured to change those outputs), and used for nothing else:
 * - mulberry32 (frozen_mulberry32.ts): the zoo's data order (data/batch_loader.ts), the simple-idioms
 *   corpus (data/simple_python.ts), and the tests' random data (test/helpers/random.ts);
 * - taskLabelSeed (seed.ts): the seeds of the task generators' streams (the committed task files).
 * They are not exported here: only the modules that own those outputs import them, by file.
 */
export { Rng, type RngState } from "./rng.js";
export { TaskRng } from "./task_rng.js";
export { mixSeed, fnv1a32 } from "./seed.js";
