// `pnpm --filter @massa-ts/example-contracts build:contracts`: compiles every example contract into build/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { buildTo, type ContractName } from "./index.ts";

mkdirSync("build", { recursive: true });
for (const name of ["hello", "stress", "abi"] as ContractName[]) {
  await buildTo(name, join("build", `${name}.wasm`));
  console.log(`build/${name}.wasm`);
}
