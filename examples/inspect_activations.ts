// Load the bundled model and its tokenizer, run a prompt with an activation cache, and look inside:
// the shapes of the cached activations, the most active MLP neurons at the last position, and the
// model's next-token predictions.
//
//   npm run build && node dist/examples/inspect_activations.js
import { DEFAULT_MODEL_DIR, loadModel, loadTokenizer } from "circuit-sparsity";

const model = loadModel(DEFAULT_MODEL_DIR);
const tokenizer = loadTokenizer(DEFAULT_MODEL_DIR);

// The while_return_true task: after "while True" comes ":\n", after "return True" a bare "\n".
const prompt = "def poll(queue):\n    if queue:\n        while True";
const tokens = tokenizer.encode(prompt);
const { logits, cache } = model.runWithCache(tokens, { names: ["1.mlp.post_act", "final_resid"] });

console.log(`prompt: ${JSON.stringify(prompt)} (${tokens.length} tokens)`);
for (const [name, activation] of cache) console.log(`cached ${name} [${activation.shape.join(", ")}]`);

// Activations are [batch, seq, width], row-major: the last position of the only sequence is its last row.
const neurons = cache.get("1.mlp.post_act")!;
const width = neurons.shape[2];
const last = neurons.data.subarray((tokens.length - 1) * width, tokens.length * width);
const active = [...last.keys()]
  .filter((n) => last[n] !== 0)
  .sort((a, b) => Math.abs(last[b]) - Math.abs(last[a]));
console.log(`1.mlp.post_act at the last position: ${active.length} of ${width} neurons active`);
for (const n of active.slice(0, 5)) console.log(`  neuron ${n}: ${last[n].toFixed(3)}`);

const vocab = logits.shape[2];
const next = logits.data.subarray((tokens.length - 1) * vocab, tokens.length * vocab);
const ranked = [...next.keys()].sort((a, b) => next[b] - next[a]);
console.log("top next tokens:");
for (const id of ranked.slice(0, 3))
  console.log(`  ${JSON.stringify(tokenizer.decode([id]))} logit ${next[id].toFixed(3)}`);
