// npm runs this only when the native addon failed to build: installation still succeeds, and the
// engine falls back to the TypeScript backend with one warning at run time.
console.warn(
  "circuit-sparsity: the native addon did not build; the pure-TypeScript backend will be used (slower).",
);
