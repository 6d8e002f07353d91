/** A batch of token windows: row r is tokens[r*width .. (r+1)*width); width = seqLen + 1 (inputs + shifted targets). */
export interface TokenBatch {
  rows: number;
  width: number;
  /** [rows, width] row-major. */
  tokens: Int32Array;
}
