import { edgeKey } from "../node_locations.js";
import { EdgePanel } from "./edge_panel.js";
import { EmbeddingView } from "./embedding_view.js";
import { LayerGraphCard } from "./layer_graph_card.js";
import { LiveCard } from "./live_card.js";
import { NodePanel } from "./node_panel.js";
import { CircuitProblems, Fatal, Notices } from "./notices.js";
import { OverviewCard } from "./overview_card.js";
import { SelectionHint } from "./selection_hint.js";
import { SweepCard } from "./sweep_card.js";
import { TaskView } from "./task_view.js";
import { TopBar } from "./top_bar.js";
import { useViewerState } from "./use_viewer_state.js";

/** The viewer page: the header, the open tab's panels, and a side column with the live loss and the selection. */
export function App() {
  const state = useViewerState();
  const { session, circuit, model, tab, live, node, selectedNode, selectedEdge } = state;
  if (state.fatal) return <Fatal message={state.fatal} />;
  if (!session) return <div class="loading">loading…</div>;
  const entry = session.circuits.find((c) => c.id === state.circuitId);

  return (
    <div class="app">
      <TopBar
        session={session}
        circuitId={state.circuitId}
        circuit={circuit}
        tab={tab}
        onCircuit={state.chooseCircuit}
        onTab={state.showTab}
      />
      <Notices session={session} />
      <CircuitProblems session={session} entry={entry} circuitError={state.circuitError} />
      {circuit && model && (
        <div class="layout">
          <main class="main">
            {tab === "circuit" && (
              <>
                <OverviewCard
                  circuit={circuit}
                  model={model}
                  disabledNodes={state.disabledNodes}
                  sublayer={state.sublayer}
                  onOpen={state.openSublayer}
                />
                <LayerGraphCard
                  circuit={circuit}
                  model={model}
                  subs={state.subs}
                  sublayer={state.sublayer}
                  disabledNodes={state.disabledNodes}
                  disabledEdges={state.disabledEdges}
                  selectedNode={selectedNode}
                  selectedEdge={selectedEdge}
                  onSublayer={state.openSublayer}
                  onNode={state.selectNode}
                  onEdge={state.selectEdge}
                />
              </>
            )}
            {tab === "sweep" && <SweepCard circuit={circuit} />}
            {tab === "embedding" && <EmbeddingView circuit={circuit} model={model} />}
            {tab === "task" && (
              <TaskView
                result={live.result}
                onPrompt={(index, textA, textB) => live.setPrompt({ index, textA, textB })}
              />
            )}
          </main>
          <aside class="side">
            <LiveCard
              circuit={circuit}
              evaluation={live.result}
              error={live.error ?? circuit.liveError}
              evaluating={live.evaluating}
              edits={state.disabledNodes.size + state.disabledEdges.size}
              onReset={state.resetEdits}
              onExport={state.exportEditedCircuit}
            />
            {selectedEdge && (
              <EdgePanel
                edgeKey={selectedEdge}
                edge={circuit.edges.find((e) => edgeKey(e.src, e.dst) === selectedEdge)}
                off={state.disabledEdges.has(selectedEdge)}
                onToggle={() => state.toggleEdge(selectedEdge)}
              />
            )}
            {selectedNode && (
              <NodePanel
                nodeKey={selectedNode}
                detail={
                  node.detail && `${node.detail.loc}:${node.detail.index}` === selectedNode
                    ? node.detail
                    : undefined
                }
                error={node.error}
                loading={node.loading}
                off={state.disabledNodes.has(selectedNode)}
                baseLoss={circuit.effectsBase}
                onToggle={() => state.toggleNode(selectedNode)}
                onSelect={state.selectNode}
              />
            )}
            {!selectedNode && !selectedEdge && tab === "circuit" && <SelectionHint />}
          </aside>
        </div>
      )}
    </div>
  );
}
