import { useEffect, useState } from "preact/hooks";
import type { BinaryChoice, EvaluateResponse, PairResult, Prediction } from "../api_types.js";
import { escapeToken, fmtLoss, showToken, unescapeToken } from "./format.js";
import { splitLabel } from "./live_card.js";
import { PAIRS_PER_PAGE, type EditedPrompt } from "./use_live_evaluation.js";

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

const pct = (p: number) => `${(p * 100).toFixed(1)}%`;

/** What the task loss scores on one side: P(correct) vs P(wrong) over the two candidate tokens, and −ln P(correct). */
function Binary({ side, correct, wrong }: { side: PairResult["binaryA"]; correct: string; wrong: string }) {
  const row = (name: string, b: BinaryChoice) => (
    <tr data-row={name}>
      <td>{name}</td>
      <td class={b.pCorrect >= 0.5 ? "ok" : "warn"}>{pct(b.pCorrect)}</td>
      <td>{pct(b.pWrong)}</td>
      <td>{fmtLoss(b.loss)}</td>
    </tr>
  );
  return (
    <table class="binary">
      <thead>
        <tr>
          <th />
          <th>
            P(<span class="mono">{showToken(correct)}</span>)
          </th>
          <th>
            P(<span class="mono">{showToken(wrong)}</span>)
          </th>
          <th>loss</th>
        </tr>
      </thead>
      <tbody>
        {row("full model", side.full)}
        {row("circuit", side.circuit)}
        {row("calibrated", side.calibrated)}
      </tbody>
    </table>
  );
}

export function PairCard({ pair, title }: { pair: PairResult; title: string }) {
  return (
    <div class="pair" data-pair={pair.index}>
      <div class="pair-head">
        <strong>{title}</strong>
        <span class="small">
          loss full <b>{fmtLoss(pair.lossFull)}</b> · circuit <b>{fmtLoss(pair.lossCircuit)}</b> · calibrated{" "}
          <b>{fmtLoss(pair.lossCalibrated)}</b>
        </span>
      </div>
      {(["A", "B"] as const).map((s) => {
        const target = s === "A" ? pair.targetA : pair.targetB;
        const other = s === "A" ? pair.targetB : pair.targetA;
        const dropped = s === "A" ? pair.droppedA : pair.droppedB;
        return (
          <div class="pair-side" key={s}>
            <div class="prompt mono">
              <span class="side">{s}</span>
              {(s === "A" ? pair.textA : pair.textB).slice(-160)}
              <span class="target">{showToken(target)}</span>
            </div>
            {dropped !== undefined && dropped > 0 && (
              <div class="notice small" data-notice="dropped">
                {dropped} token{dropped === 1 ? "" : "s"} dropped from the front: the prompt is longer than
                the model&apos;s context (left-truncated as the task loader does).
              </div>
            )}
            <Binary side={s === "A" ? pair.binaryA : pair.binaryB} correct={target} wrong={other} />
            <details class="small">
              <summary>top-5 next tokens (over all tokens; the loss only compares the two above)</summary>
              <div class="pred-cols">
                <div>
                  <h5>full model</h5>
                  <Preds preds={s === "A" ? pair.topFullA : pair.topFullB} target={target} />
                </div>
                <div>
                  <h5>circuit</h5>
                  <Preds preds={s === "A" ? pair.topCircuitA : pair.topCircuitB} target={target} />
                </div>
              </div>
            </details>
          </div>
        );
      })}
    </div>
  );
}

export interface TaskViewProps {
  result?: EvaluateResponse;
  /** The result is not that of the current edits (an evaluation failed or is running). */
  stale: boolean;
  /** The edited prompt being evaluated, if any. */
  prompt?: EditedPrompt;
  page: number;
  onPage: (page: number) => void;
  onPrompt: (prompt: EditedPrompt) => void;
}

/** The editor's fields: pair, texts and targets (escaped: a one-line input cannot hold a newline). */
interface Draft {
  index: number;
  textA: string;
  textB: string;
  targetA: string;
  targetB: string;
}

const draftOf = (p: PairResult): Draft => ({
  index: p.index,
  textA: p.textA,
  textB: p.textB,
  targetA: escapeToken(p.targetA),
  targetB: escapeToken(p.targetB),
});

/**
 * Task pairs under the current circuit, paged, with the numbers the binary task loss uses; and an editor
 * that runs a pair with edited texts and targets. Mount one per circuit (nothing carries over).
 */
export function TaskView({ result, stale, prompt, page, onPage, onPrompt }: TaskViewProps) {
  const [draft, setDraft] = useState<Draft>();
  // The editor fills from the first pair once there is a result (the tab may open before it).
  useEffect(() => {
    if (!draft && result?.pairs[0]) setDraft(draftOf(result.pairs[0]));
  }, [result, draft]);
  if (!result)
    return (
      <section class="card" data-testid="task-waiting">
        <div class="muted pad">Evaluating the task…</div>
      </section>
    );
  const pages = Math.max(1, Math.ceil(result.pairCount / PAIRS_PER_PAGE));
  const set = (k: keyof Draft, v: string) => draft && setDraft({ ...draft, [k]: v });
  const first = page * PAIRS_PER_PAGE;
  const last = Math.min(result.pairCount, first + PAIRS_PER_PAGE);
  return (
    <div class={`task-view${stale ? " stale" : ""}`}>
      <section class="card">
        <header class="card-head">
          <div>
            <div class="eyebrow">edit a prompt</div>
            <h3>Run a pair with your own texts and targets</h3>
          </div>
        </header>
        {draft && (
          <div class="pad editor">
            <label>
              start from pair{" "}
              <select
                value={draft.index}
                onChange={(e) => {
                  const i = Number((e.target as HTMLSelectElement).value);
                  const p = result.pairs.find((q) => q.index === i);
                  if (p) setDraft(draftOf(p));
                }}
              >
                {result.pairs.map((p) => (
                  <option key={p.index} value={p.index}>
                    {p.index}
                  </option>
                ))}
              </select>
            </label>
            {(["A", "B"] as const).map((s) => (
              <div key={s} class="editor-side">
                <label>
                  {s}
                  <textarea
                    class="mono"
                    rows={3}
                    data-field={`text${s}`}
                    value={s === "A" ? draft.textA : draft.textB}
                    onInput={(e) => set(`text${s}`, (e.target as HTMLTextAreaElement).value)}
                  />
                </label>
                <label>
                  target {s} (one token; \n for a newline){" "}
                  <input
                    class="mono target-input"
                    data-field={`target${s}`}
                    value={s === "A" ? draft.targetA : draft.targetB}
                    onInput={(e) => set(`target${s}`, (e.target as HTMLInputElement).value)}
                  />{" "}
                  <span class="muted small mono">
                    {showToken(unescapeToken(s === "A" ? draft.targetA : draft.targetB))}
                  </span>
                </label>
              </div>
            ))}
            <button
              class="primary"
              data-action="run-prompt"
              onClick={() =>
                onPrompt({
                  ...draft,
                  targetA: unescapeToken(draft.targetA),
                  targetB: unescapeToken(draft.targetB),
                })
              }
            >
              Run with current circuit
            </button>
          </div>
        )}
        {prompt && result.promptError && (
          <div class="error" data-testid="prompt-error">
            {result.promptError}
          </div>
        )}
        {prompt && result.prompt && (
          <div class="pad">
            <PairCard pair={result.prompt} title="edited prompt" />
          </div>
        )}
      </section>
      <section class="card">
        <header class="card-head">
          <div>
            <div class="eyebrow">task pairs · {splitLabel(result.split)}</div>
            <h3>
              What the loss scores: the correct token against the other pair member&apos;s, full model vs
              circuit
            </h3>
          </div>
        </header>
        <div class="pad">
          <div class="pager">
            <button
              class="ghost"
              data-action="page-prev"
              disabled={page === 0}
              onClick={() => onPage(page - 1)}
            >
              ‹ previous
            </button>
            <span class="small" data-testid="pair-range">
              pairs {first}–{last - 1} of {result.pairCount}
            </span>
            <button
              class="ghost"
              data-action="page-next"
              disabled={page >= pages - 1}
              onClick={() => onPage(page + 1)}
            >
              next ›
            </button>
          </div>
          {result.pairs.map((p) => (
            <PairCard key={p.index} pair={p} title={`pair ${p.index}`} />
          ))}
        </div>
      </section>
    </div>
  );
}
