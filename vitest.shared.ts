import { defineConfig } from "vitest/config";

/**
 * Shared vitest settings for every package. Tests run straight from `src/` through the
 * `@massa-ts/source` export condition, so no build is needed. Each run also writes a JSON
 * report to `test-results/vitest.json`, which `.ci/run` sums into its closing line.
 */
export function sharedConfig(opts: { testTimeout?: number; fileParallelism?: boolean } = {}) {
  return defineConfig({
    ssr: { resolve: { conditions: ["@massa-ts/source"] } },
    resolve: { conditions: ["@massa-ts/source"] },
    test: {
      include: ["test/**/*.test.ts"],
      testTimeout: opts.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      fileParallelism: opts.fileParallelism ?? true,
      reporters: ["default", "json"],
      outputFile: { json: "test-results/vitest.json" },
    },
  });
}
