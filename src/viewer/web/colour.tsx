/** Colour scales of the viewer (pure functions; exported SVG keeps them as attributes). */

type RGB = [number, number, number];

/** Matplotlib's coolwarm at its two ends and middle: blue for negative, red for positive. */
const COOL: RGB = [59, 76, 192];
const MID: RGB = [242, 242, 242];
const WARM: RGB = [180, 4, 38];

const mix = (a: RGB, b: RGB, t: number): RGB =>
  [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)) as RGB;
const css = ([r, g, b]: RGB) => `rgb(${r},${g},${b})`;

/** A diverging colour for v in [-scale, scale] (zero is near white). */
export function diverging(v: number, scale: number): string {
  const t = scale > 0 ? Math.max(-1, Math.min(1, v / scale)) : 0;
  return css(t >= 0 ? mix(MID, WARM, t) : mix(MID, COOL, -t));
}

/** Text colour that stays readable on a diverging background. */
export function divergingText(v: number, scale: number): string {
  return scale > 0 && Math.abs(v / scale) > 0.6 ? "#fff" : "#1b1f24";
}

/** Edge colours by sign of the weight. */
export const POSITIVE = "#2b6cb0";
export const NEGATIVE = "#c53030";

/** Node fill by ablation effect: white (no effect) to deep violet (largest effect in view). */
export function effectFill(delta: number | undefined, max: number): string {
  if (delta === undefined || !(max > 0)) return "#ffffff";
  const t = Math.max(0, Math.min(1, delta / max));
  return css(mix([255, 255, 255], [88, 51, 168], Math.sqrt(t)));
}

export function effectText(delta: number | undefined, max: number): string {
  return delta !== undefined && max > 0 && delta / max > 0.35 ? "#fff" : "#1b1f24";
}
