import { useEffect, useRef, useState } from "preact/hooks";
import type { CircuitView, Edits, EvaluateRequest, EvaluateResponse } from "../api_types.js";
import { api } from "./api.js";

/** A task pair the user rewrote (texts and, optionally, targets), evaluated beside pair `index`. */
export type EditedPrompt = NonNullable<EvaluateRequest["prompt"]>;

/** Task pairs per page of the Task tab. */
export const PAIRS_PER_PAGE = 8;

export interface LiveEvaluationOptions {
  circuit?: CircuitView;
  disabledNodes: ReadonlySet<string>;
  disabledEdges: ReadonlySet<string>;
  /** The edits to send, read when an evaluation starts. */
  edits: () => Edits;
}

export interface LiveEvaluation {
  /** The latest answer for this circuit (possibly for older edits: see `stale`). */
  result?: EvaluateResponse;
  error?: string;
  /** The shown numbers are not those of the current edits (an evaluation failed or is running). */
  stale: boolean;
  evaluating: boolean;
  /** The edited prompt being evaluated with every edit, if any. */
  prompt?: EditedPrompt;
  setPrompt: (prompt: EditedPrompt) => void;
  /** The Task tab's page of pairs (0-based). */
  page: number;
  setPage: (page: number) => void;
  /** Runs the evaluation again for the current edits. */
  retry: () => void;
  /** Shows a failure on the live card (an export's failure lands there too). */
  setError: (message: string) => void;
  /** The uncalibrated headline loss with `node` switched off too, on the same pairs and baselines. */
  lossWithNodeOff: (node: string) => Promise<number>;
}

/** A value and the circuit it belongs to. */
interface Owned<T> {
  circuit: number;
  value: T;
}

const mine = <T,>(owned: Owned<T> | undefined, circuit: number | undefined): T | undefined =>
  owned && owned.circuit === circuit ? owned.value : undefined;

/**
 * The task loss of the edited circuit: every change of the edits, of the edited prompt or of the Task
 * tab's page re-runs the task. A failure marks the numbers stale; the next change (or Retry) runs again.
 */
export function useLiveEvaluation({
  circuit,
  disabledNodes,
  disabledEdges,
  edits,
}: LiveEvaluationOptions): LiveEvaluation {
  // Each piece of state remembers the circuit it belongs to, so nothing of one circuit (numbers, an
  // edited prompt, the page) shows on or is sent for another.
  const id = circuit?.id;
  const [resultOf, setResult] = useState<Owned<EvaluateResponse>>();
  const [errorOf, setErrorOf] = useState<Owned<string>>();
  const [promptOf, setPromptOf] = useState<Owned<EditedPrompt>>();
  const [pageOf, setPageOf] = useState<Owned<number>>();
  const [evaluating, setEvaluating] = useState(false);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const result = mine(resultOf, id);
  const error = mine(errorOf, id);
  const prompt = mine(promptOf, id);
  const page = mine(pageOf, id) ?? 0;
  const setError = (message: string | undefined) =>
    setErrorOf(message === undefined || id === undefined ? undefined : { circuit: id, value: message });
  // Only the latest request's answer is shown; an older one arriving late is dropped.
  const latest = useRef(0);

  useEffect(() => {
    if (!circuit || circuit.liveError) return;
    const seq = ++latest.current;
    setEvaluating(true);
    const first = page * PAIRS_PER_PAGE;
    const showPairs = Array.from({ length: PAIRS_PER_PAGE }, (_, i) => first + i);
    const owner = circuit.id;
    api<EvaluateResponse>("evaluate", { ...edits(), prompt, showPairs }).then(
      (r) => {
        if (seq !== latest.current) return;
        setResult({ circuit: owner, value: r });
        setError(undefined);
        setFailed(false);
        setEvaluating(false);
      },
      (e: Error) => {
        if (seq !== latest.current) return;
        setError(e.message);
        setFailed(true);
        setEvaluating(false);
      },
    );
  }, [circuit, disabledNodes, disabledEdges, prompt, page, attempt]);

  return {
    result,
    error,
    stale: failed || evaluating,
    evaluating,
    prompt,
    setPrompt: (p) => id !== undefined && setPromptOf({ circuit: id, value: p }),
    page,
    setPage: (p) => id !== undefined && setPageOf({ circuit: id, value: p }),
    retry: () => setAttempt((n) => n + 1),
    setError,
    lossWithNodeOff: async (node) => {
      const e = edits();
      const r = await api<EvaluateResponse>("evaluate", {
        ...e,
        disabledNodes: [...e.disabledNodes.filter((k) => k !== node), node],
        showPairs: [],
      });
      return r.lossCircuit;
    },
  };
}
