/**
 * Node labels and notes, kept in the circuit file itself (its optional `notes` field,
 * docs/circuit-format.md): read from the file on disk on every request and written back atomically, so a
 * reload, another viewer or `csp evaluate` sees exactly what was saved.
 */
import { MAX_NOTE_LABEL, MAX_NOTE_TEXT, type NodeNote } from "../circuit/format.js";
import { readCircuit } from "../circuit/read.js";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { formatCircuitJson } from "../prune/circuit_file.js";
import type { NoteRequest, NotesResponse } from "./api_types.js";
import { parseNodeKey } from "./node_locations.js";
import type { Workspace } from "./workspace.js";

/** The notes of circuit `id` as its file holds them now. */
export function circuitNotes(ws: Workspace, id: number): NotesResponse {
  const { entry } = ws.circuit(id);
  return { notes: readCircuit(entry.file).notes ?? {} };
}

function text(v: unknown, field: string, max: number): string {
  if (typeof v !== "string") throw new CspError(`request: ${field} must be a string`);
  if (v.length > max) throw new CspError(`request: ${field} is longer than ${max} characters`);
  return v.trim();
}

/**
 * Sets one node's label and note in the circuit file (both empty: removes the entry) and returns every
 * note. The file is re-read first, so the write changes nothing else in it.
 */
export function saveNodeNote(ws: Workspace, req: NoteRequest): NotesResponse {
  if (!Number.isInteger(req.circuit)) throw new CspError("request: circuit must be a circuit id");
  const loaded = ws.circuit(req.circuit);
  const key = typeof req.node === "string" ? parseNodeKey(req.node) : undefined;
  if (!key || !(loaded.file.nodes[key.loc] ?? []).includes(key.index))
    throw new CspError(`request: ${JSON.stringify(req.node)} is not a node of this circuit`);
  const label = text(req.label, "label", MAX_NOTE_LABEL);
  const note = text(req.note, "note", MAX_NOTE_TEXT);
  const path = loaded.entry.file;
  const onDisk = readCircuit(path);
  const notes: Record<string, NodeNote> = { ...(onDisk.notes ?? {}) };
  if (label === "" && note === "") delete notes[req.node];
  else notes[req.node] = { ...(label && { label }), ...(note && { note }) };
  if (Object.keys(notes).length === 0) delete onDisk.notes;
  else onDisk.notes = notes;
  writeFileAtomic(path, formatCircuitJson(onDisk));
  // The loaded copy follows, so exports made by this server carry the notes too.
  if (Object.keys(notes).length === 0) delete loaded.file.notes;
  else loaded.file.notes = notes;
  return { notes };
}
