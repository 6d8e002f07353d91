import type { Snippet } from "../api_types.js";
import { diverging, divergingText } from "./colour.js";
import { fmtNum, inlineToken } from "./format.js";

/** The largest |activation| over snippets: one shared, zero-centred colour scale per panel. */
export function snippetScale(groups: readonly (readonly Snippet[])[]): number {
  let m = 0;
  for (const g of groups) for (const s of g) for (const t of s.tokens) m = Math.max(m, Math.abs(t.act));
  return m;
}

/** One document as coloured token chips; the focus token is boxed. Newlines break the line. */
export function TokenHeatmap({ snippet, scale }: { snippet: Snippet; scale: number }) {
  return (
    <div class="snippet">
      {snippet.tokens.map((t, i) => (
        <>
          <span
            key={i}
            class={`tok${i === snippet.focus ? " focus" : ""}`}
            style={{ background: diverging(t.act, scale), color: divergingText(t.act, scale) }}
            title={`activation ${fmtNum(t.act, 4)}`}
          >
            {inlineToken(t.text)}
          </span>
          {t.text.includes("\n") && <br />}
        </>
      ))}
    </div>
  );
}

/** A legend of the diverging scale. */
export function ScaleLegend({ scale }: { scale: number }) {
  return (
    <div class="legend">
      <span>{fmtNum(-scale)}</span>
      <span class="bar" />
      <span>{fmtNum(scale)}</span>
    </div>
  );
}
