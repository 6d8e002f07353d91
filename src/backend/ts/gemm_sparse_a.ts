/** C (+)= op(A)·op(B) over A's nonzeros, p in increasing order (Backend.gemmSparseA). */
export function gemmSparseATs(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let p = 0; p < k; p++) {
      const g = transA ? a[p * m + i] : a[i * k + p];
      if (g === 0) continue;
      for (let j = 0; j < n; j++) c[row + j] += g * (transB ? b[j * k + p] : b[p * n + j]);
    }
  }
}
