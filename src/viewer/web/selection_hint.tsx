/** What to do first, shown on the circuit tab while nothing is selected. */
export function SelectionHint() {
  return (
    <section class="card hint">
      <p>
        Click a node in the layer graph or a dot in the overview to see its connections, its residual-stream
        writers and readers, its paths to the logits and its activations; find one by `site:index` or label
        above the graph. Switch nodes or edges off to re-run the task with the edited circuit; pin, hide and
        label nodes as you go: the URL keeps the whole view.
      </p>
    </section>
  );
}
