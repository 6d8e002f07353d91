import type { CircuitEntry, SessionInfo } from "../api_types.js";
import { bestReached } from "../circuit_choice.js";

/** Shown instead of the page when the session cannot be loaded. */
export function Fatal({ message }: { message: string }) {
  return (
    <div class="card error-card">
      <h3>The viewer could not start</h3>
      <p class="mono">{message}</p>
    </div>
  );
}

/**
 * Problems with the model or the sample source (the viewer still works, with less to show), and a plain
 * word when no circuit given reaches its target: on the circuit tabs only (`circuitTab`), since the
 * study and trajectory pages are not about the circuit files the word is about.
 */
export function Notices({ session, circuitTab }: { session: SessionInfo; circuitTab: boolean }) {
  const notes = [session.modelError, session.samplesError].filter((n): n is string => !!n);
  const readable = session.circuits.filter((c) => !c.error);
  const noneReached = circuitTab && readable.length > 0 && !bestReached(session.circuits);
  if (notes.length === 0 && !noneReached) return null;
  return (
    <div class="notices">
      {noneReached && (
        <div class="notice bad" data-notice="none-reached">
          {readable.length === 1 ? "The circuit does not reach" : "None of the circuits reaches"} its target
          loss (uncalibrated task loss on the test split, or on the file&apos;s own pairs where it cannot be
          re-evaluated).
        </div>
      )}
      {notes.map((n) => (
        <div key={n} class="notice">
          {n}
        </div>
      ))}
    </div>
  );
}

export interface CircuitProblemsProps {
  session: SessionInfo;
  /** The picked circuit's entry in the session, which says whether its file could be read. */
  entry?: CircuitEntry;
  /** Why the picked circuit could not be loaded from the server. */
  circuitError?: string;
}

/** Why no circuit is shown: the picked file is unreadable, or none was given. */
export function CircuitProblems({ session, entry, circuitError }: CircuitProblemsProps) {
  return (
    <>
      {(circuitError || entry?.error) && (
        <div class="card error-card" data-error="circuit">
          <h3>This circuit file cannot be shown</h3>
          <p class="mono">{circuitError ?? entry?.error}</p>
        </div>
      )}
      {session.circuits.length === 0 && !session.study && !session.trajectory && (
        <div class="card error-card">
          <h3>No circuit files</h3>
          <p>
            Start the viewer with one or more circuit files: <code>csp view circuit.json</code>.
          </p>
        </div>
      )}
    </>
  );
}
