#!/usr/bin/env node
// Sums every package's vitest JSON reports (test-results/vitest.json, and vitest-e2e.json where a package
// has end-to-end tests) into one closing line:
// "N passed, N failed". Exits non-zero if a report is missing, unreadable or has failures.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
let passed = 0;
let failed = 0;
let missing = 0;
for (const group of ["packages", "apps"]) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkg = join(dir, name);
    const pj = join(pkg, "package.json");
    if (!existsSync(pj)) continue;
    const scripts = JSON.parse(readFileSync(pj, "utf8")).scripts ?? {};
    // each test script writes its own report: `test` → vitest.json, `test:e2e` → vitest-e2e.json
    const reports = [
      ...(scripts.test ? ["vitest.json"] : []),
      ...(scripts["test:e2e"] ? ["vitest-e2e.json"] : []),
    ];
    for (const file of reports) {
      const report = join(pkg, "test-results", file);
      if (!existsSync(report)) {
        process.stderr.write(
          `test-summary: no ${file} from ${group}/${name} (its test run crashed or did not start)\n`,
        );
        missing++;
        continue;
      }
      const r = JSON.parse(readFileSync(report, "utf8"));
      // the failed tests by name, next to the closing line (a log's tail is often all one sees of it)
      for (const file of r.testResults ?? [])
        for (const t of file.assertionResults ?? [])
          if (t.status === "failed")
            process.stdout.write(
              `FAILED ${group}/${name} ${file.name?.replace(`${pkg}/`, "") ?? "?"}: ${t.fullName ?? t.title}\n` +
                `  ${String(t.failureMessages?.[0] ?? "")
                  .split("\n")[0]
                  .slice(0, 300)}\n`,
            );
      passed += r.numPassedTests ?? 0;
      failed += (r.numFailedTests ?? 0) + (r.success === false && !r.numFailedTests ? 1 : 0);
    }
  }
}
failed += missing;
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
