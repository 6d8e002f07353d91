import type { CircuitEntry, SessionInfo } from "../api_types.js";

/** Shown instead of the page when the session cannot be loaded. */
export function Fatal({ message }: { message: string }) {
  return (
    <div class="card error-card">
      <h3>The viewer could not start</h3>
      <p class="mono">{message}</p>
    </div>
  );
}

/** Problems with the model or the sample source: the viewer still works, with less to show. */
export function Notices({ session }: { session: SessionInfo }) {
  const notes = [session.modelError, session.samplesError].filter((n): n is string => !!n);
  if (notes.length === 0) return null;
  return (
    <div class="notices">
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
      {session.circuits.length === 0 && (
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
