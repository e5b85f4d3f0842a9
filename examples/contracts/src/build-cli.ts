// `pnpm --filter @massa-ts/example-contracts build`: compiles every example contract into build/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { buildTo } from "./index.ts";

mkdirSync("build", { recursive: true });
await buildTo("hello", join("build", "hello.wasm"));
console.log("build/hello.wasm");
