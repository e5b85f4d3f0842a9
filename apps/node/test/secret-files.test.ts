// Files holding secret keys are readable by their owner only (0600): the devnet's accounts, staking keys
// and node configs (genesis key), and a node's generated p2p identity key; also when they existed before.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { nodeKey, writeSecretFile } from "../src/node/keys.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (p: string) => statSync(p).mode & 0o777;

it("the devnet's secret files and a generated node key are 0600; public ones are not", () => {
  const d = createDevnet({ dir, nodes: 1, t0: 1000, basePort: 0 });
  const c = loadNodeConfig(d.configPath);
  for (const p of [join(dir, "accounts.json"), c.staking_keys!, d.configPath]) {
    expect(mode(p), p).toBe(0o600);
  }
  expect(mode(join(dir, "initial_ledger.json")) & 0o044).not.toBe(0); // readable by others: no secret there
  nodeKey(c);
  expect(mode(join(c.data_dir, "node_key"))).toBe(0o600);
});

it("writeSecretFile narrows a file that already existed with a wider mode", () => {
  const p = join(dir, "was-open.json");
  writeFileSync(p, "{}", { mode: 0o644 });
  writeSecretFile(p, "[]");
  expect(mode(p)).toBe(0o600);
});
