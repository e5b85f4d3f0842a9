// The node's keys: staking keys (produce and endorse), the genesis creator's key, the p2p identity key.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Address, SecretKey } from "@massa-ts/models";
import { CliError } from "../errors.js";
import type { NodeConfig } from "./config.js";

/** The staking keys this node produces and endorses with, by address. */
export class StakingKeys {
  private readonly keys = new Map<string, SecretKey>();

  /** Loads `staking_keys` (a JSON array of "S…" keys) when configured; errors name the file and index. */
  static load(path: string | undefined): StakingKeys {
    const k = new StakingKeys();
    if (!path) return k;
    let list: unknown;
    try {
      list = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new CliError(`staking keys ${path}: ${(e as Error).message}`);
    }
    if (!Array.isArray(list)) throw new CliError(`staking keys ${path}: expected a JSON array of "S…" keys`);
    for (const [i, s] of list.entries()) k.add(String(s), `${path}[${i}]`);
    return k;
  }

  add(text: string, field = "staking key"): Address {
    let sk: SecretKey;
    try {
      sk = SecretKey.fromString(text, field);
    } catch (e) {
      throw new CliError(`${field}: ${(e as Error).message}`);
    }
    const a = Address.fromPublicKey(sk.publicKey);
    this.keys.set(a.key, sk);
    return a;
  }

  remove(address: Address): boolean {
    return this.keys.delete(address.key);
  }

  /** The key of `address`, if this node stakes with it. */
  of(address: Address): SecretKey | undefined {
    return this.keys.get(address.key);
  }

  get size(): number {
    return this.keys.size;
  }

  values(): IterableIterator<SecretKey> {
    return this.keys.values();
  }
}

export function genesisKey(config: NodeConfig): SecretKey {
  try {
    return SecretKey.fromString(config.genesis_key, "genesis_key");
  } catch (e) {
    throw new CliError(`genesis_key: ${(e as Error).message}`);
  }
}

/** This node's p2p identity: `network.node_key`, else `data_dir/node_key` (made on first use, mode 0600). */
export function nodeKey(config: NodeConfig): SecretKey {
  if (config.network.node_key) return SecretKey.fromString(config.network.node_key, "network.node_key");
  mkdirSync(config.data_dir, { recursive: true });
  const path = join(config.data_dir, "node_key");
  if (existsSync(path)) return SecretKey.fromString(readFileSync(path, "utf8").trim(), path);
  const k = SecretKey.generate();
  writeSecretFile(path, `${k.toString()}\n`);
  return k;
}

/**
 * Writes a file holding secret keys readable by its owner only (mode 0600), also when it already exists,
 * and atomically (a mode given to `writeFileSync` applies only to a new file).
 */
export function writeSecretFile(path: string, text: string): void {
  // written beside it, then renamed over it: a reader (a client polling devnet.json) never sees it half done
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
