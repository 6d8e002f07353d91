import { readCircuit } from "../circuit/read.js";
import type { ViewerOptions } from "./workspace.js";

/** What starting a viewer takes and gives back (server.ts's startViewer, passed in to avoid an import cycle). */
export type StartViewer = (
  opts: ViewerOptions & { host?: string; port?: number; assetsDir?: string; allowRemote?: boolean },
) => Promise<{ url: string; close(): Promise<void> }>;

/** Viewers kept running at once; opening one more closes the least recently opened. */
const MAX_OPEN = 4;

/**
 * Opens circuits the study and trajectory pages point at, each in a viewer of its own (the normal
 * circuit view, with its own model, tokenizer, task and means), started on first use on the same host
 * and a free port, and reused when the same circuit is opened again. A study spans several models and
 * a trajectory several snapshots of the weights: one viewer per circuit keeps each exactly as
 * `csp view FILE` would show it.
 */
export class CircuitOpener {
  private readonly viewers = new Map<string, Promise<{ url: string; close(): Promise<void> }>>();

  constructor(
    private readonly base: { start: StartViewer; host?: string; assetsDir?: string; allowRemote?: boolean },
  ) {}

  /** The URL of a viewer of this circuit; a file that is not a usable circuit throws its CspError. */
  async open(options: ViewerOptions): Promise<string> {
    const key = JSON.stringify(options);
    let viewer = this.viewers.get(key);
    if (!viewer) {
      for (const file of options.circuits) readCircuit(file); // say what is wrong before starting anything
      // On the main viewer's host: a remote one (--allow-remote) opens remote children, so it passes that on.
      const { host, assetsDir, allowRemote } = this.base;
      viewer = this.base.start({ ...options, host, port: 0, assetsDir, allowRemote });
      viewer.catch(() => this.viewers.delete(key));
      this.viewers.set(key, viewer);
      while (this.viewers.size > MAX_OPEN) {
        const [oldest, v] = this.viewers.entries().next().value!;
        this.viewers.delete(oldest);
        void v.then((x) => x.close()).catch(() => undefined);
      }
    } else {
      // Most recently opened last, so the eviction above closes the least recently used.
      this.viewers.delete(key);
      this.viewers.set(key, viewer);
    }
    return (await viewer).url;
  }

  async closeAll(): Promise<void> {
    const all = [...this.viewers.values()];
    this.viewers.clear();
    await Promise.all(all.map((v) => v.then((x) => x.close()).catch(() => undefined)));
  }
}
