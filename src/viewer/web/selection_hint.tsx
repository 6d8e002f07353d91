/** What to do first, shown on the circuit tab while nothing is selected. */
export function SelectionHint() {
  return (
    <section class="card hint">
      <p>
        Click a node in the layer graph to see its connections and activations; switch nodes or edges off to
        re-run the task with the edited circuit.
      </p>
    </section>
  );
}
