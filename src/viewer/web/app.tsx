import { edgeKey } from "../node_locations.js";
import { EdgePanel } from "./edge_panel.js";
import { EmbeddingView } from "./embedding_view.js";
import { LayerGraphCard } from "./layer_graph_card.js";
import { LiveCard } from "./live_card.js";
import { MetricsView } from "./metrics_view.js";
import { NodePanel } from "./node_panel.js";
import { CircuitProblems, Fatal, Notices } from "./notices.js";
import { OverviewCard } from "./overview_card.js";
import { SelectionHint } from "./selection_hint.js";
import { StudyPage } from "./study_page.js";
import { SweepCard } from "./sweep_card.js";
import { TaskView } from "./task_view.js";
import { TopBar } from "./top_bar.js";
import { GraphToolsContext, useGraphTools } from "./use_graph_tools.js";
import { TrajectoryView } from "./trajectory_view.js";
import { useViewerState } from "./use_viewer_state.js";
import { WpeView } from "./wpe_view.js";

/** The viewer page: the header, the open tab's panels, and a side column with the live loss and the selection. */
export function App() {
  const state = useViewerState();
  const tools = useGraphTools(state);
  const { session, circuit, model, tab, live, node, selectedNode, selectedEdge } = state;
  if (state.fatal) return <Fatal message={state.fatal} />;
  if (!session) return <div class="loading">loading…</div>;
  const entry = session.circuits.find((c) => c.id === state.circuitId);

  return (
    <GraphToolsContext.Provider value={tools}>
      <div class="app">
        <TopBar
          session={session}
          circuitId={state.circuitId}
          circuit={circuit}
          tab={tab}
          onCircuit={state.chooseCircuit}
          onTab={state.showTab}
        />
        <Notices session={session} circuitTab={tab !== "study" && tab !== "trajectory"} />
        <CircuitProblems session={session} entry={entry} circuitError={state.circuitError} />
        {tab === "study" && session.study && <StudyPage />}
        {tab === "trajectory" && session.trajectory && <TrajectoryView />}
        {circuit && model && tab !== "study" && tab !== "trajectory" && (
          <div class="layout">
            <main class="main">
              {tab === "circuit" && (
                <>
                  <OverviewCard sublayer={state.sublayer} onOpen={state.openSublayer} />
                  <LayerGraphCard
                    subs={state.subs}
                    sublayer={state.sublayer}
                    onSublayer={state.openSublayer}
                  />
                </>
              )}
              {tab === "sweep" && <SweepCard circuit={circuit} />}
              {tab === "embedding" && <EmbeddingView circuit={circuit} model={model} />}
              {tab === "model" && (
                <>
                  <MetricsView />
                  <WpeView model={model} />
                </>
              )}
              {tab === "task" && (
                <TaskView
                  key={circuit.id}
                  result={live.result}
                  stale={live.stale}
                  prompt={live.prompt}
                  page={live.page}
                  onPage={live.setPage}
                  onPrompt={live.setPrompt}
                />
              )}
            </main>
            <aside class="side">
              <LiveCard
                circuit={circuit}
                evaluation={live.result}
                error={live.error ?? circuit.liveError}
                stale={live.stale}
                onRetry={live.retry}
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
                  ablation={circuit.ablation}
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
                  circuit={circuit}
                  liveLoss={live.stale ? undefined : live.result?.lossCircuit}
                  liveSplit={live.result?.split}
                  livePairs={live.result?.pairCount}
                  measureOff={live.lossWithNodeOff}
                  onToggle={() => state.toggleNode(selectedNode)}
                  onSelect={state.selectNode}
                />
              )}
              {!selectedNode && !selectedEdge && tab === "circuit" && <SelectionHint />}
            </aside>
          </div>
        )}
      </div>
    </GraphToolsContext.Provider>
  );
}
