import { useEffect, useState } from "preact/hooks";
import type { CircuitView, SessionInfo, SteerInfo, SteerViewReport, SteerViewRequest } from "../api_types.js";
import { api } from "./api.js";
import { escapeToken, fmtNum, showToken, unescapeToken } from "./format.js";
import { LineChart } from "./line_chart.js";

/** Bridges carry the sublayer inputs only (docs/bridges.md). */
const BRIDGED_NODE = /^\d+\.(attn|mlp)\.act_in:\d+$/;
const COLOURS = ["#2b6cb0", "#dd6b20", "#2f855a", "#805ad5", "#c53030", "#718096", "#b7791f", "#319795"];

/** The session's steering info, fetched once per page (it does not change while the server runs). */
let steerSession: Promise<SteerInfo | undefined> | undefined;

function useSteerInfo(): SteerInfo | undefined {
  const [info, setInfo] = useState<SteerInfo>();
  useEffect(() => {
    steerSession ??= api<SessionInfo>("session").then(
      (s) => s.steer,
      () => undefined,
    );
    let current = true;
    void steerSession.then((i) => current && setInfo(i));
    return () => {
      current = false;
    };
  }, []);
  return info;
}

/**
 * "Steer the dense model": on a bridged model (`csp view --dense DIR`), a bridged node's counterfactual
 * change carried into the dense model at each strength, and the candidates' probabilities there.
 * Absent for other nodes and without a usable dense model.
 */
export function SteerPanel({ nodeKey, circuit }: { nodeKey: string; circuit?: CircuitView }) {
  const info = useSteerInfo();
  if (!info || info.error || !circuit || !BRIDGED_NODE.test(nodeKey)) return null;
  return <SteerForm key={circuit.id} nodeKey={nodeKey} circuitId={circuit.id} info={info} />;
}

function SteerForm({ nodeKey, circuitId, info }: { nodeKey: string; circuitId: number; info: SteerInfo }) {
  const d = info.defaults[circuitId];
  const [open, setOpen] = useState(false);
  const [prompt, setPrompt] = useState(d?.prompt ?? "");
  const [mode, setMode] = useState<"counterfactual" | "value">("counterfactual");
  const [counterfactual, setCounterfactual] = useState(d?.counterfactual ?? "");
  const [value, setValue] = useState("0");
  const [candidates, setCandidates] = useState((d?.candidates ?? ["", ""]).map(escapeToken));
  const [strengths, setStrengths] = useState("0,0.25,0.5,1");
  const [result, setResult] = useState<SteerViewReport>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // A result belongs to one node.
  useEffect(() => {
    setResult(undefined);
    setError(undefined);
  }, [nodeKey]);

  if (!open)
    return (
      <div class="steer pad-x" data-testid="steer">
        <button class="ghost" data-action="steer-open" onClick={() => setOpen(true)}>
          Steer the dense model
        </button>
      </div>
    );

  const run = (e: Event) => {
    e.preventDefault();
    const parsed = strengths.split(",").map((s) => Number(s.trim()));
    if (strengths.trim() === "" || parsed.some((s) => !Number.isFinite(s))) {
      setError(`strengths: expected numbers such as 0,0.25,0.5,1, got "${strengths}"`);
      return;
    }
    const body: SteerViewRequest = {
      circuit: circuitId,
      node: nodeKey,
      prompt,
      candidates: candidates.map(unescapeToken),
      strengths: parsed,
      ...(mode === "counterfactual" ? { counterfactual } : { value: Number(value) }),
    };
    setBusy(true);
    setError(undefined);
    api<SteerViewReport>("steer", body).then(
      (r) => {
        setResult(r);
        setBusy(false);
      },
      (err: Error) => {
        setResult(undefined);
        setError(err.message);
        setBusy(false);
      },
    );
  };

  return (
    <div class="steer pad-x small" data-testid="steer">
      <h4>Steer the dense model</h4>
      <p class="muted">
        The node&apos;s change (its activation on the counterfactual minus on the prompt, or a value minus it)
        carried through the bridge&apos;s decoder into {info.dense}, times each strength.
      </p>
      <form class="steer-form" onSubmit={run}>
        <label>
          prompt{" "}
          <input data-field="prompt" value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
        </label>
        <label>
          <input
            type="radio"
            name="steer-mode"
            data-field="mode-counterfactual"
            checked={mode === "counterfactual"}
            onChange={() => setMode("counterfactual")}
          />{" "}
          counterfactual
        </label>{" "}
        <label>
          <input
            type="radio"
            name="steer-mode"
            data-field="mode-value"
            checked={mode === "value"}
            onChange={() => setMode("value")}
          />{" "}
          value
        </label>
        {mode === "counterfactual" ? (
          <input
            data-field="counterfactual"
            value={counterfactual}
            onInput={(e) => setCounterfactual(e.currentTarget.value)}
          />
        ) : (
          <input
            data-field="value"
            type="number"
            step="any"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        )}
        <label>
          candidate tokens{" "}
          {candidates.map((c, i) => (
            <input
              key={i}
              class="mono"
              data-field={`candidate-${i}`}
              size={6}
              value={c}
              onInput={(e) => {
                const v = e.currentTarget.value;
                setCandidates((cs) => cs.map((x, j) => (j === i ? v : x)));
              }}
            />
          ))}
        </label>
        <label>
          strengths{" "}
          <input
            data-field="strengths"
            value={strengths}
            onInput={(e) => setStrengths(e.currentTarget.value)}
          />
        </label>
        <button type="submit" data-action="steer-run" disabled={busy}>
          {busy ? "steering…" : "steer"}
        </button>
      </form>
      {error && (
        <div class="error" data-testid="steer-error">
          {error}
        </div>
      )}
      {result && <SteerResult r={result} />}
    </div>
  );
}

/** P(candidate) at the prompt's last position per strength: the dense model, and the sparse model itself. */
function SteerResult({ r }: { r: SteerViewReport }) {
  const names = r.candidates[0];
  return (
    <div data-testid="steer-result" data-node={r.node}>
      <p class="muted">mean |δ| of the node over the prompt: {fmtNum(r.meanAbsDelta)}</p>
      <table class="steer-table" data-testid="steer-table">
        <thead>
          <tr>
            <th>strength</th>
            {names.map((n, i) => (
              <th key={`d${i}`}>dense P({showToken(n)})</th>
            ))}
            {names.map((n, i) => (
              <th key={`s${i}`}>sparse P({showToken(n)})</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {r.strengths.map((s, si) => (
            <tr key={si} data-strength={s}>
              <td>{s}</td>
              {r.denseMean[si].map((p, ci) => (
                <td key={`d${ci}`} data-model="dense" data-candidate={ci} data-p={p}>
                  {fmtNum(p)}
                </td>
              ))}
              {r.sparseMean[si].map((p, ci) => (
                <td key={`s${ci}`} data-model="sparse" data-candidate={ci} data-p={p}>
                  {fmtNum(p)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <LineChart
        id="steer"
        title="dense model: P(candidate) against steering strength"
        xLabel="strength"
        yLabel="probability"
        width={420}
        height={220}
        series={names.map((n, ci) => ({
          name: showToken(n),
          colour: COLOURS[ci % COLOURS.length],
          points: r.strengths.map((s, si) => ({ x: s, y: r.denseMean[si][ci] })),
        }))}
      />
    </div>
  );
}
