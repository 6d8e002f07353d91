import { useEffect, useRef, useState } from "preact/hooks";
import type { CircuitView, Edits, EvaluateRequest, EvaluateResponse } from "../api_types.js";
import { api } from "./api.js";

/** A task pair the user rewrote, evaluated in place of pair `index`. */
export type EditedPrompt = NonNullable<EvaluateRequest["prompt"]>;

export interface LiveEvaluationOptions {
  circuit?: CircuitView;
  disabledNodes: ReadonlySet<string>;
  disabledEdges: ReadonlySet<string>;
  /** The edits to send, read when an evaluation starts. */
  edits: () => Edits;
}

export interface LiveEvaluation {
  result?: EvaluateResponse;
  error?: string;
  evaluating: boolean;
  setPrompt: (prompt: EditedPrompt) => void;
  /** Shows a failure on the live card (an export's failure lands there too). */
  setError: (message: string) => void;
}

/** The task loss of the edited circuit: every change of the edits or of the edited prompt re-runs the task. */
export function useLiveEvaluation({
  circuit,
  disabledNodes,
  disabledEdges,
  edits,
}: LiveEvaluationOptions): LiveEvaluation {
  const [result, setResult] = useState<EvaluateResponse>();
  const [error, setError] = useState<string>();
  const [evaluating, setEvaluating] = useState(false);
  const [prompt, setPrompt] = useState<EditedPrompt>();
  // Only the latest request's answer is shown; an older one arriving late is dropped.
  const latest = useRef(0);

  useEffect(() => {
    if (!circuit || circuit.liveError) return;
    const seq = ++latest.current;
    setEvaluating(true);
    api<EvaluateResponse>("evaluate", { ...edits(), prompt }).then(
      (r) => {
        if (seq !== latest.current) return;
        setResult(r);
        setError(undefined);
        setEvaluating(false);
      },
      (e: Error) => {
        if (seq !== latest.current) return;
        setError(e.message);
        setEvaluating(false);
      },
    );
  }, [circuit, disabledNodes, disabledEdges, prompt]);

  return { result, error, evaluating, setPrompt, setError };
}
