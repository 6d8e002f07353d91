import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCircuit, readCircuit } from "../../src/circuit/read.js";
import { circuitNotes, saveNodeNote } from "../../src/viewer/notes_route.js";
import { Workspace } from "../../src/viewer/workspace.js";
import { makeViewerFixture, type ViewerFixture } from "./fixture.js";

let fx: ViewerFixture;
let ws: Workspace;
let original: Record<string, unknown>;

beforeAll(() => {
  fx = makeViewerFixture();
  ws = new Workspace({ circuits: [fx.circuit] });
  original = JSON.parse(readFileSync(fx.circuit, "utf8")) as Record<string, unknown>;
});
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

describe("node notes in the circuit file", () => {
  it("saves a label and note into the file, changing nothing else, and reads them back", () => {
    const r = saveNodeNote(ws, {
      circuit: 0,
      node: "0.mlp.post_act:7",
      label: " gate ",
      note: "opens on quotes",
    });
    expect(r.notes).toEqual({ "0.mlp.post_act:7": { label: "gate", note: "opens on quotes" } });
    const onDisk = JSON.parse(readFileSync(fx.circuit, "utf8")) as Record<string, unknown>;
    expect(onDisk.notes).toEqual(r.notes);
    delete onDisk.notes;
    expect(onDisk).toEqual(original);
    expect(readCircuit(fx.circuit).notes).toEqual(r.notes);
    expect(circuitNotes(ws, 0)).toEqual(r);
    // A second node keeps the first; empty texts remove an entry (and the field when none is left).
    saveNodeNote(ws, { circuit: 0, node: "final_resid:2", label: "", note: "read by the unembedding" });
    expect(Object.keys(readCircuit(fx.circuit).notes!)).toEqual(["0.mlp.post_act:7", "final_resid:2"]);
    saveNodeNote(ws, { circuit: 0, node: "0.mlp.post_act:7", label: "", note: "" });
    saveNodeNote(ws, { circuit: 0, node: "final_resid:2", label: "", note: "" });
    expect("notes" in JSON.parse(readFileSync(fx.circuit, "utf8"))).toBe(false);
  });

  it("refuses nodes outside the circuit and over-long texts, leaving the file as it was", () => {
    const before = readFileSync(fx.circuit, "utf8");
    expect(() => saveNodeNote(ws, { circuit: 0, node: "0.mlp.post_act:8", label: "x", note: "" })).toThrow(
      /"0\.mlp\.post_act:8" is not a node of this circuit/,
    );
    expect(() =>
      saveNodeNote(ws, { circuit: 0, node: "0.mlp.post_act:7", label: "x".repeat(201), note: "" }),
    ).toThrow(/label is longer than 200 characters/);
    expect(() => saveNodeNote(ws, { circuit: 3, node: "0.mlp.post_act:7", label: "x", note: "" })).toThrow(
      /no circuit with id 3/,
    );
    expect(readFileSync(fx.circuit, "utf8")).toBe(before);
  });

  it("validates the optional notes field and accepts files without it", () => {
    const parse = (notes: unknown) => parseCircuit({ ...original, notes }, "c.json");
    expect(parseCircuit({ ...original }, "c.json").notes).toBeUndefined();
    expect(parse({ "0.attn.q:1": { label: "a" } }).notes).toEqual({ "0.attn.q:1": { label: "a" } });
    expect(() => parse([])).toThrow(/^c\.json: notes must be an object/);
    expect(() => parse({ "0.attn.q": { label: "a" } })).toThrow(/notes key "0\.attn\.q" is not a node/);
    expect(() => parse({ "0.attn.q:1": { note: 5 } })).toThrow(
      /notes\["0\.attn\.q:1"\]\.note must be a string/,
    );
    const path = `${fx.dir}/bad-notes.json`;
    writeFileSync(path, JSON.stringify({ ...original, notes: { "x:1": "label" } }));
    expect(() => readCircuit(path)).toThrow(/bad-notes\.json: notes\["x:1"\] must be \{label, note\}/);
  });
});
