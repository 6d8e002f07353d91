/**
 * Learning rate at `step` of `steps`: linear warmup from 0 over the first ⌈warmupFrac·steps⌉ steps
 * (the first step gets lr/W, not 0), then linear decay to 0 after the last step.
 */
export function maskLearningRate(step: number, steps: number, lr: number, warmupFrac: number): number {
  const warm = Math.ceil(warmupFrac * steps);
  if (step < warm) return (lr * (step + 1)) / warm;
  const decaySteps = steps - warm;
  if (decaySteps <= 0) return lr;
  return (lr * (steps - step)) / decaySteps;
}
