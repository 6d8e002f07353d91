import { describe, expect, it, beforeAll } from "vitest";
import { join } from "node:path";
import { readAblationFile } from "../../src/model/ablate.js";
import { backward, forward } from "../../src/model/gpt.js";
import { hookMatcher } from "../../src/model/hooks.js";
import { BACKENDS, useBackend } from "../helpers/backends.js";
import { PARITY_CASES, loadParityCase, relMaxError } from "../helpers/fixtures.js";

for (const backendName of BACKENDS) {
  describe(`parity with the reference (${backendName} backend)`, () => {
    beforeAll(() => useBackend(backendName));
    for (const name of PARITY_CASES) {
      describe(name, () => {
        const { dir, expected, model, ids, targets, b, t } = loadParityCase(name);
        const run = () => forward(model, ids, b, t, { targets, record: hookMatcher(".*"), keepCache: true });

        it("logits and loss", () => {
          const fwd = run();
          expect(relMaxError(fwd.logits.data, expected.get("logits")!.data)).toBeLessThan(1e-5);
          expect(Math.abs(fwd.loss! - expected.get("loss")!.data[0])).toBeLessThan(1e-4);
        });

        it("every hook point", () => {
          const fwd = run();
          const hookKeys = [...expected.keys()].filter((k) => k.startsWith("hook/"));
          expect(hookKeys.length).toBe(2 * 11 + 1);
          expect([...fwd.hooks.keys()].sort()).toEqual(hookKeys.map((k) => k.slice(5)).sort());
          for (const key of hookKeys) {
            const got = fwd.hooks.get(key.slice(5))!;
            expect(got.shape, key).toEqual(expected.get(key)!.shape);
            expect(relMaxError(got.data, expected.get(key)!.data), key).toBeLessThan(1e-5);
          }
        });

        it("every parameter gradient", () => {
          const fwd = run();
          const { grads } = backward(model, fwd);
          const gradKeys = [...expected.keys()].filter((k) => k.startsWith("grad/"));
          expect([...grads.keys()].sort()).toEqual(gradKeys.map((k) => k.slice(5)).sort());
          for (const key of gradKeys) {
            expect(relMaxError(grads.get(key.slice(5))!.data, expected.get(key)!.data), key).toBeLessThan(
              1e-4,
            );
          }
        });

        it("ablation interventions", () => {
          const interventions = readAblationFile(join(dir, "ablate.json"), model.dims);
          const fwd = forward(model, ids, b, t, { interventions });
          expect(relMaxError(fwd.logits.data, expected.get("ablate/logits")!.data)).toBeLessThan(1e-4);
          // The interventions must matter, or this comparison proves nothing.
          expect(relMaxError(fwd.logits.data, expected.get("logits")!.data)).toBeGreaterThan(1e-3);
        });
      });
    }
  });
}
