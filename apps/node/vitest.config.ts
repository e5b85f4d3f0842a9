import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.ts";

// Two groups run one after the other: every node test, then the chaos harness's short run (four node
// processes of its own: it gets the machine to itself).
export default mergeConfig(
  sharedConfig(),
  defineConfig({
    test: {
      projects: [
        {
          extends: true,
          test: { name: "node", exclude: ["test/chaos.e2e.test.ts"], sequence: { groupOrder: 0 } },
        },
        {
          extends: true,
          test: { name: "chaos", include: ["test/chaos.e2e.test.ts"], sequence: { groupOrder: 1 } },
        },
      ],
    },
  }),
);
