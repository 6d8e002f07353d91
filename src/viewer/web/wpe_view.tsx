import { useEffect, useRef, useState } from "preact/hooks";
import type { ModelInfo, WpeView as Wpe } from "../api_types.js";
import { api } from "./api.js";
import { diverging } from "./colour.js";
import { fmtNum } from "./format.js";

const KIND_TEXT: Record<Wpe["kind"], string> = {
  additive: "learned, added to the residual stream (channel c of wpe is residual channel c)",
  concatenated: "learned, concatenated to every sublayer's input as channels d_model…d_model+d_pos−1",
  sinusoidal: "fixed sinusoids, concatenated to every sublayer's input (not trained, not sparsified)",
};

/** symlog: linear within ±linthresh, logarithmic beyond, so small and large values both show. */
function symlog(v: number, linthresh: number): number {
  const a = Math.abs(v);
  return Math.sign(v) * (a <= linthresh ? a / linthresh : 1 + Math.log10(a / linthresh));
}

/**
 * The position embedding as a heatmap (positions down, channels across; symlog colour centred at 0, as
 * the reference's "first 512 of wpe"), with its kind and the nonzero count of each channel.
 */
export function WpeView({ model }: { model: ModelInfo }) {
  const [data, setData] = useState<Wpe>();
  const [error, setError] = useState<string>();
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    api<Wpe>("wpe").then(setData, (e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    const el = canvas.current;
    if (!data || !el) return;
    const ctx = el.getContext("2d");
    if (!ctx) return;
    const lin = Math.max(data.maxAbs / 100, 1e-12);
    const top = symlog(data.maxAbs, lin);
    const img = ctx.createImageData(data.shownChannels, data.shownPositions);
    data.values.forEach((v, i) => {
      const [r, g, b] = diverging(symlog(v, lin), top).match(/\d+/g)!.map(Number);
      img.data.set([r, g, b, 255], i * 4);
    });
    ctx.putImageData(img, 0, 0);
  }, [data]);
  const zeroChannels = data ? data.nonzeroPerChannel.filter((c) => c === 0).length : 0;
  return (
    <section class="card wpe">
      <header class="card-head">
        <div>
          <div class="eyebrow">model</div>
          <h3>Position embedding (wpe)</h3>
        </div>
      </header>
      {error && <div class="error">{error}</div>}
      {data && (
        <div class="pad" data-kind={data.kind}>
          <p class="small">
            <b>{data.kind}</b>: {KIND_TEXT[data.kind]}. Shape {data.positions} × {data.channels}
            {data.kind !== "additive" && ` (the residual stream has ${model.dModel} channels)`};{" "}
            {data.nonzero} nonzero of {data.positions * data.channels}; {zeroChannels} all-zero channel
            {zeroChannels === 1 ? "" : "s"}; max |w| {fmtNum(data.maxAbs)}.
          </p>
          <p class="muted small">
            Showing positions 0–{data.shownPositions - 1} and channels 0–{data.shownChannels - 1} (symlog
            colour, blue negative, red positive).
          </p>
          <canvas
            ref={canvas}
            class="wpe-map"
            width={data.shownChannels}
            height={data.shownPositions}
            data-positions={data.shownPositions}
            data-channels={data.shownChannels}
            style={{
              width: `${Math.min(760, Math.max(160, data.shownChannels * 4))}px`,
              height: `${Math.min(520, Math.max(120, data.shownPositions * 3))}px`,
            }}
          />
        </div>
      )}
    </section>
  );
}
