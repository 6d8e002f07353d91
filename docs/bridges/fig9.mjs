// The Fig. 9 result of docs/bridges.md: finds the channel of the sparse model's final attention input
// that best separates the two quote types, steers the dense model through the bridge with it and with a
// random channel of the same layer (seeded), and writes the numbers (JSON) and the plot (SVG).
// Usage: node docs/bridges/fig9.mjs DIST SPARSE DENSE TASK OUT_PREFIX   (DIST: the built dist/ directory)
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const [dist, sparseDir, denseDir, taskFile, outPrefix] = process.argv.slice(2);
const imp = (p) => import(resolve(join(dist, "src", p)));
const { loadModel } = await imp("model/checkpoint.js");
const { forward } = await imp("model/gpt.js");
const { hookMatcher } = await imp("model/hooks.js");
const { loadModelTokenizer } = await imp("model/model_tokenizer.js");
const { loadTask } = await imp("tasks/load.js");
const { steerFromRequest } = await imp("circuit/steer_request.js");
const { Rng, mixSeed } = await imp("random/index.js");

const sparse = loadModel(sparseDir);
const layer = sparse.dims.nLayer - 1;
const hook = `${layer}.attn.act_in`;
const tok = loadModelTokenizer(sparseDir, { vocab: sparse.dims.vocab });
// Channels are chosen on the train split; steering is measured on the test split.
const pairs = loadTask(taskFile, tok).pairs.filter((p) => p.split === "train" && p.a.length === p.b.length);
const d = sparse.dims.dModel;
const w = sparse.dims.dModelIn;
const diff = new Float64Array(d);
const sq = new Float64Array(d);
let count = 0;
let differing = 0;
for (const p of pairs) {
  const ha = forward(sparse, p.a, 1, p.a.length, { record: hookMatcher(hook) }).hooks.get(hook).data;
  const hb = forward(sparse, p.b, 1, p.b.length, { record: hookMatcher(hook) }).hooks.get(hook).data;
  // Only the positions from the first differing token on (the quote and after) can tell the types apart.
  const first = p.a.findIndex((id, i) => id !== p.b[i]);
  for (let t = 0; t < p.a.length; t++)
    for (let c = 0; c < d; c++) {
      if (t >= first) diff[c] += Math.abs(ha[t * w + c] - hb[t * w + c]);
      sq[c] += ha[t * w + c] ** 2 + hb[t * w + c] ** 2;
    }
  differing += p.a.length - first;
  count += 2 * p.a.length;
}
// Separation relative to the channel's own scale: mean |a_A − a_B| where they can differ / RMS activation.
const score = [...diff].map((s, c) => s / differing / Math.sqrt(sq[c] / count + 1e-12));
const channel = score.indexOf(Math.max(...score));
const rng = new Rng(mixSeed(0, 9));
let control = rng.int(d);
while (control === channel) control = rng.int(d);
const strengths = [0, 0.25, 0.5, 0.75, 1, 1.5, 2];
const run = (c) =>
  steerFromRequest({
    model: sparseDir,
    dense: denseDir,
    node: `${hook}:${c}`,
    task: taskFile,
    split: "test",
    strengths,
  });
const top = run(channel);
const rand = run(control);
const summary = {
  hook,
  channel,
  channel_score: score[channel],
  control,
  control_score: score[control],
  examples: top.examples,
  strengths,
  dense_p_counterfactual: top.denseMean.map((m) => m[1]),
  dense_p_counterfactual_control: rand.denseMean.map((m) => m[1]),
  sparse_p_counterfactual: top.sparseMean.map((m) => m[1]),
  sparse_p_counterfactual_control: rand.sparseMean.map((m) => m[1]),
  dense_p_prompt_answer: top.denseMean.map((m) => m[0]),
  mean_abs_delta: top.meanAbsDelta,
  mean_abs_delta_control: rand.meanAbsDelta,
};
writeFileSync(`${outPrefix}.json`, JSON.stringify(summary, null, 2) + "\n");

// The plot: log-scale P(counterfactual's answer) against strength.
const W = 520,
  H = 340,
  L = 70,
  R = 20,
  T = 40,
  B = 50;
const all = [
  ...summary.dense_p_counterfactual,
  ...summary.dense_p_counterfactual_control,
  ...summary.sparse_p_counterfactual,
];
const lo = Math.floor(Math.log10(Math.max(1e-6, Math.min(...all))));
const x = (s) => L + ((W - L - R) * s) / strengths.at(-1);
const y = (p) => T + ((H - T - B) * (0 - Math.log10(Math.max(p, 1e-6)))) / (0 - lo);
const line = (ps, color, dash = "") =>
  `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ""} points="${ps
    .map((p, i) => `${x(strengths[i]).toFixed(1)},${y(p).toFixed(1)}`)
    .join(" ")}"/>` +
  ps
    .map(
      (p, i) => `<circle cx="${x(strengths[i]).toFixed(1)}" cy="${y(p).toFixed(1)}" r="3" fill="${color}"/>`,
    )
    .join("");
const ticks = [];
for (let e = lo; e <= 0; e++)
  ticks.push(
    `<line x1="${L}" x2="${W - R}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/><text x="${L - 8}" y="${y(10 ** e) + 4}" text-anchor="end" font-size="11">1e${e}</text>`,
  );
for (const s of strengths)
  ticks.push(`<text x="${x(s)}" y="${H - B + 18}" text-anchor="middle" font-size="11">${s}</text>`);
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="13">Steering through the bridge at ${hook} (${top.examples} test prompts)</text>
${ticks.join("\n")}
<text x="${W / 2}" y="${H - 10}" text-anchor="middle" font-size="12">steering strength</text>
<text x="16" y="${H / 2}" transform="rotate(-90 16 ${H / 2})" text-anchor="middle" font-size="12">P(counterfactual's quote)</text>
${line(summary.dense_p_counterfactual, "#d62728")}
${line(summary.dense_p_counterfactual_control, "#7f7f7f", "5,4")}
${line(summary.sparse_p_counterfactual, "#1f77b4", "2,3")}
<g font-size="11"><rect x="${L + 8}" y="${T + 4}" width="12" height="3" fill="#d62728"/><text x="${L + 26}" y="${T + 9}">dense, channel ${channel}</text>
<rect x="${L + 8}" y="${T + 18}" width="12" height="3" fill="#7f7f7f"/><text x="${L + 26}" y="${T + 23}">dense, random channel ${control}</text>
<rect x="${L + 8}" y="${T + 32}" width="12" height="3" fill="#1f77b4"/><text x="${L + 26}" y="${T + 37}">sparse itself, channel ${channel}</text></g>
</svg>
`;
writeFileSync(`${outPrefix}.svg`, svg);
console.log(JSON.stringify(summary));
