import { allocLike, type FloatArray } from "../tensor/tensor.js";

/**
 * Arrays reused by a loop that runs forward (+ backward) passes one after another (training steps,
 * the masked runs of circuit pruning): the i-th array a pass asks for gets the same memory each time,
 * zeroed, instead of a fresh allocation. That spares the allocator, the page faults and the garbage
 * collector hundreds of MB per pass. Passes of different shapes share it too: an array is a view of
 * the first `len` entries of the largest one asked for in its place so far.
 *
 * Whatever a pass returned (logits, its cache) is overwritten by the next pass that uses the same
 * workspace: hand one only to a caller that is done with the previous pass's results.
 */
export class StepWorkspace {
  private readonly floatArrays: FloatArray[] = [];
  private readonly maskArrays: Uint8Array[] = [];
  private nextFloat = 0;
  private nextMask = 0;

  /**
   * `poisonScratch` fills every scratch array with NaN before handing it out, so that a caller that
   * reads an entry of one before writing it gets NaN instead of a stale value (for tests).
   */
  constructor(private readonly options: { poisonScratch?: boolean } = {}) {}

  /** Starts a new pass: arrays are handed out from the first again. */
  restart(): void {
    this.nextFloat = 0;
    this.nextMask = 0;
  }

  /** A zeroed array of `len` values of the same float type as `like`. */
  floats(like: FloatArray, len: number): FloatArray {
    const i = this.nextFloat++;
    const have = this.floatArrays[i];
    if (have && have.length >= len && have.constructor === like.constructor)
      return have.subarray(0, len).fill(0);
    return (this.floatArrays[i] = allocLike(like, len));
  }

  /**
   * An array of `len` values like floats(), but holding whatever an earlier pass left there: for a
   * caller that writes every entry before it reads any (the output of a kernel that overwrites its
   * output). Zeroing those would stream hundreds of MB per training step for nothing.
   */
  scratchFloats(like: FloatArray, len: number): FloatArray {
    const i = this.nextFloat++;
    let have = this.floatArrays[i];
    if (!(have && have.length >= len && have.constructor === like.constructor))
      have = this.floatArrays[i] = allocLike(like, len);
    const view = have.length === len ? have : have.subarray(0, len);
    if (this.options.poisonScratch) view.fill(NaN);
    return view;
  }

  /** A zeroed byte mask of `len` entries. */
  mask(len: number): Uint8Array {
    const i = this.nextMask++;
    const have = this.maskArrays[i];
    if (have && have.length >= len) return have.subarray(0, len).fill(0);
    return (this.maskArrays[i] = new Uint8Array(len));
  }
}
