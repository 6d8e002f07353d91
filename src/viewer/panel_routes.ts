import type { Server } from "node:http";
import { CspError } from "../errors.js";
import type { ApiCall } from "./api_route.js";
import { CircuitOpener, type StartViewer } from "./circuit_opener.js";
import { metricsView } from "./metrics_route.js";
import { studyCellViewerOptions, studyView } from "./study_route.js";
import { snapshotViewerOptions, trajectoryView } from "./trajectory_route.js";
import type { Workspace } from "./workspace.js";

const openers = new WeakMap<Workspace, CircuitOpener>();

/**
 * Sets up the circuit viewers the study and trajectory pages open for a viewer's workspace: started on
 * the viewer's host (and with its `allowRemote`), closed with its server.
 */
export function registerPanels(
  ws: Workspace,
  base: { server: Server; start: StartViewer; host?: string; assetsDir?: string; allowRemote?: boolean },
): void {
  const opener = new CircuitOpener(base);
  openers.set(ws, opener);
  base.server.once("close", () => void opener.closeAll());
}

function studyDir(ws: Workspace): string {
  if (!ws.options.study) throw new CspError("no study: start the viewer with --study DIR");
  return ws.options.study;
}

function trajectoryFile(ws: Workspace): string {
  if (!ws.options.trajectory) throw new CspError("no trajectory: start the viewer with --trajectory FILE");
  return ws.options.trajectory;
}

function opener(ws: Workspace): CircuitOpener {
  const o = openers.get(ws);
  if (!o) throw new CspError("this viewer cannot open other circuits");
  return o;
}

/**
 * The panels' route handlers (one line each in server.ts's ROUTES). The wpe and channel-count views
 * compute on the model's weights, so they are compute operations (compute_ops.ts), routed there directly.
 */
export const PANELS = {
  /** GET metrics: read afresh (a training run may still append to metrics.jsonl). */
  metrics: (c: ApiCall) => metricsView(c.ws.requireModel().dir),
  /** GET study: read afresh (a running study grows study.json). */
  study: (c: ApiCall) => studyView(studyDir(c.ws)),
  /** GET trajectory: `csp trajectory` writes its directory once, so the route is cached. */
  trajectory: (c: ApiCall) => trajectoryView(trajectoryFile(c.ws)),
  /** POST study/cell/:id/open → {url} of a viewer of that cell's circuit. */
  openCell: async (c: ApiCall) => ({
    url: await opener(c.ws).open(studyCellViewerOptions(studyDir(c.ws), c.ids[0])),
  }),
  /** POST trajectory/snapshot/:id/open → {url} of a viewer of that snapshot's circuit. */
  openSnapshot: async (c: ApiCall) => ({
    url: await opener(c.ws).open(snapshotViewerOptions(trajectoryFile(c.ws), c.ids[0])),
  }),
};
