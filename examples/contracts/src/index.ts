// Compiles the example contracts (assembly/*.ts, AssemblyScript with massa-as-sdk) the way a Massa dApp
// developer does (`asc … --exportRuntime`, optimized), caching each output by the hash of its source, the
// compiler flags and the compiler's version, so that tests pay the ~5 s compile once per change.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = join(ROOT, "node_modules", ".cache", "contracts");
/** The flags of massa-as-sdk's own release target. */
export const ASC_FLAGS = ["--optimizeLevel", "3", "--shrinkLevel", "3", "--converge", "--exportRuntime"];

/** The contracts in `assembly/`, by name. */
export type ContractName = "hello" | "stress" | "abi";

/** The path of a contract's source. */
export function contractSource(name: ContractName): string {
  return join(ROOT, "assembly", `${name}.ts`);
}

/** Compiles `assembly/<name>.ts` to WebAssembly (cached); throws with the compiler's output when it fails. */
export async function compileContract(name: ContractName): Promise<Uint8Array> {
  const source = contractSource(name);
  const require = createRequire(import.meta.url);
  const ascVersion = (
    JSON.parse(readFileSync(require.resolve("assemblyscript/package.json"), "utf8")) as {
      version: string;
    }
  ).version;
  const key = createHash("sha256")
    .update(readFileSync(source))
    .update(ASC_FLAGS.join(" "))
    .update(ascVersion)
    .digest("hex")
    .slice(0, 32);
  const cached = join(CACHE, `${name}-${key}.wasm`);
  if (existsSync(cached)) return new Uint8Array(readFileSync(cached));
  mkdirSync(CACHE, { recursive: true });
  const out = `${cached}.${process.pid}.tmp`;
  const asc = (await import("assemblyscript/asc")) as unknown as {
    main(args: string[], options?: object): Promise<{ error: Error | null; stderr: { toString(): string } }>;
  };
  // paths relative to this package: the compiler finds massa-as-sdk in its node_modules
  const r = await asc.main(
    [join("assembly", `${name}.ts`), "--baseDir", ROOT, "--outFile", out, ...ASC_FLAGS],
    {},
  );
  if (r.error) throw new Error(`compiling ${source} failed: ${r.error.message}\n${r.stderr.toString()}`);
  renameSync(out, cached);
  return new Uint8Array(readFileSync(cached));
}

/** Writes a compiled contract to `file` (the `build` script). */
export async function buildTo(name: ContractName, file: string): Promise<void> {
  writeFileSync(file, await compileContract(name));
}
