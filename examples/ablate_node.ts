// Ablate one node and watch a logit move. The node: the layer-1 MLP neuron that, by its activation times
// the loss gradient there (attribution), matters most for predicting ":\n" after "while True". It is
// mean-ablated (replaced by its mean over pretraining text, models/default/means.safetensors), as
// pruning does.
//
//   npm run build && node dist/examples/ablate_node.js
import {
  DEFAULT_MODEL_DIR,
  channelReplace,
  loadMeans,
  loadModel,
  loadTokenizer,
  nodeLayout,
} from "circuit-sparsity";

const model = loadModel(DEFAULT_MODEL_DIR);
const tokenizer = loadTokenizer(DEFAULT_MODEL_DIR);
const hook = "1.mlp.post_act";

const tokens = tokenizer.encode("def poll(queue):\n    if queue:\n        while True");
const [colon] = tokenizer.encode(":\n");
const last = tokens.length - 1;
// Only the last position is scored (-1: ignored).
const targets = tokens.map((_, i) => (i === last ? colon : -1));

const { loss, cache, hookGrads } = model.runWithGrads(tokens, targets, { hooks: [hook] });
const activation = cache.get(hook)!;
const grad = hookGrads.get(hook)!;
const width = activation.shape[2];
const means = loadMeans(DEFAULT_MODEL_DIR, model.model, nodeLayout(model.dims)).values.get(hook)!;
// First-order change of the loss if neuron n took its mean value instead: grad · (mean − activation).
const effect = (n: number) => grad.data[last * width + n] * (means[n] - activation.data[last * width + n]);
let node = 0;
for (let n = 1; n < width; n++) if (effect(n) > effect(node)) node = n;

const vocab = model.dims.vocab;
const logitOf = (logits: ArrayLike<number>) => logits[last * vocab + colon];
const before = logitOf(model.run(tokens).logits.data);
const ablated = model.run(tokens, { interventions: { [hook]: channelReplace([node], [means[node]]) } });
const after = logitOf(ablated.logits.data);

console.log(`loss of ":\\n" at the last position: ${loss.toFixed(4)}`);
console.log(`node ${hook}:${node} (attribution: loss +${effect(node).toFixed(4)} when mean-ablated)`);
console.log(`logit of ":\\n": ${before.toFixed(4)} -> ${after.toFixed(4)} with the node mean-ablated`);
