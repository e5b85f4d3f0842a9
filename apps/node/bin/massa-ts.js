#!/usr/bin/env node
// The massa-ts command. Runs the compiled CLI from dist/ (`pnpm build` at the repository root makes it;
// `pnpm massa-ts …` at the root builds first).
import { existsSync } from "node:fs";

const entry = new URL("../dist/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "massa-ts: the CLI is not built yet. Run `pnpm build` at the repository root, or use `pnpm massa-ts <command>`, which builds first.\n",
  );
  process.exit(1);
}
await import(entry.href);
