import { defineConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.ts";

// Four projects. "unit" (what `pnpm test` runs): in-process tests, fast, files in parallel. "e2e": nodes on
// real sockets and real time, files one after the other. "hostile": the same kind, one attack per test
// (issue 17's suite, `pnpm test:hostile`). "chaos": the tests that run four node processes of their own (the
// chaos harness's short runs, without and with its attacker, the out-of-step recovery), last, on a quiet
// machine. `pnpm test:e2e` runs the last three; CI runs all four.
const shared = sharedConfig();
const { include: _include, ...common } = shared.test ?? {};
const heavy = [
  "test/chaos.e2e.test.ts",
  "test/chaos-attacker.e2e.test.ts",
  "test/out-of-step.e2e.test.ts",
  "test/behind-restart.e2e.test.ts",
];
const hostile = ["test/hostile*.e2e.test.ts"];
export default defineConfig({
  ...shared,
  test: {
    ...common,
    projects: [
      {
        ...shared,
        test: { ...common, name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/**/*.e2e.test.ts"] },
      },
      {
        ...shared,
        test: {
          ...common,
          name: "e2e",
          include: ["test/**/*.e2e.test.ts"],
          exclude: [...heavy, ...hostile],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        ...shared,
        test: {
          ...common,
          name: "hostile",
          include: hostile,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      {
        ...shared,
        test: {
          ...common,
          name: "chaos",
          include: heavy,
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
