import { defineConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.ts";

// Two groups run one after the other: every node test, then the tests that run four node processes of
// their own (the chaos harness's short run, the out-of-step recovery), one at a time, on a quiet machine.
const shared = sharedConfig();
const { include: _include, ...common } = shared.test ?? {};
export default defineConfig({
  ...shared,
  test: {
    ...common,
    projects: [
      {
        ...shared,
        test: {
          ...common,
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/chaos.e2e.test.ts", "test/out-of-step.e2e.test.ts"],
        },
      },
      {
        ...shared,
        test: {
          ...common,
          name: "chaos",
          include: ["test/chaos.e2e.test.ts", "test/out-of-step.e2e.test.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
