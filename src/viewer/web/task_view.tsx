import { useState } from "preact/hooks";
import type { EvaluateResponse, PairResult, Prediction } from "../api_types.js";
import { fmtLoss, showToken } from "./format.js";

function Preds({ preds, target }: { preds: Prediction[]; target: string }) {
  return (
    <ol class="preds">
      {preds.map((p) => (
        <li key={p.token} class={p.text === target ? "hit" : ""}>
          <span class="mono">{showToken(p.text)}</span>
          <span class="bar" style={{ width: `${Math.round(p.prob * 60)}px` }} />
          <span class="small">{(p.prob * 100).toFixed(1)}%</span>
        </li>
      ))}
    </ol>
  );
}

export function PairCard({ pair, title }: { pair: PairResult; title: string }) {
  return (
    <div class="pair">
      <div class="pair-head">
        <strong>{title}</strong>
        <span class="small">
          loss full <b>{fmtLoss(pair.lossFull)}</b> · circuit <b>{fmtLoss(pair.lossCircuit)}</b> · calibrated{" "}
          <b>{fmtLoss(pair.lossCalibrated)}</b>
        </span>
      </div>
      {(["A", "B"] as const).map((side) => (
        <div class="pair-side" key={side}>
          <div class="prompt mono">
            <span class="side">{side}</span>
            {(side === "A" ? pair.textA : pair.textB).slice(-160)}
            <span class="target">{showToken(side === "A" ? pair.targetA : pair.targetB)}</span>
          </div>
          <div class="pred-cols">
            <div>
              <h5>full model</h5>
              <Preds
                preds={side === "A" ? pair.topFullA : pair.topFullB}
                target={side === "A" ? pair.targetA : pair.targetB}
              />
            </div>
            <div>
              <h5>circuit</h5>
              <Preds
                preds={side === "A" ? pair.topCircuitA : pair.topCircuitB}
                target={side === "A" ? pair.targetA : pair.targetB}
              />
            </div>
          </div>
        </div>
      ))}
    </div>
  );
}

/** Task pairs under the current circuit, and an editor that re-runs one pair with edited prompts. */
export function TaskView({
  result,
  onPrompt,
}: {
  result?: EvaluateResponse;
  onPrompt: (index: number, a: string, b: string) => void;
}) {
  const first = result?.pairs[0];
  const [index, setIndex] = useState(0);
  const base = result?.pairs.find((p) => p.index === index) ?? first;
  const [a, setA] = useState(base?.textA ?? "");
  const [b, setB] = useState(base?.textB ?? "");
  if (!result)
    return (
      <section class="card">
        <div class="muted pad">No task evaluation yet.</div>
      </section>
    );
  return (
    <div class="task-view">
      <section class="card">
        <header class="card-head">
          <div>
            <div class="eyebrow">edit a prompt</div>
            <h3>Re-run pair {index} with your own text</h3>
          </div>
        </header>
        <div class="pad editor">
          <label>
            pair{" "}
            <select
              value={index}
              onChange={(e) => {
                const i = Number((e.target as HTMLSelectElement).value);
                const p = result.pairs.find((q) => q.index === i);
                setIndex(i);
                if (p) {
                  setA(p.textA);
                  setB(p.textB);
                }
              }}
            >
              {result.pairs.map((p) => (
                <option key={p.index} value={p.index}>
                  {p.index}
                </option>
              ))}
            </select>
          </label>
          <label>
            A
            <textarea
              class="mono"
              rows={3}
              value={a}
              onInput={(e) => setA((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <label>
            B
            <textarea
              class="mono"
              rows={3}
              value={b}
              onInput={(e) => setB((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <button class="primary" data-action="run-prompt" onClick={() => onPrompt(index, a, b)}>
            Run with current circuit
          </button>
        </div>
        {result.prompt && (
          <div class="pad">
            <PairCard pair={result.prompt} title="edited prompt" />
          </div>
        )}
      </section>
      <section class="card">
        <header class="card-head">
          <div>
            <div class="eyebrow">task pairs</div>
            <h3>Predictions, full model vs circuit</h3>
          </div>
        </header>
        <div class="pad">
          {result.pairs.map((p) => (
            <PairCard key={p.index} pair={p} title={`pair ${p.index}`} />
          ))}
        </div>
      </section>
    </div>
  );
}
