import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Address, SecretKey } from "@massa-ts/models";
import type { Command } from "commander";
import { CliError } from "../errors.js";
import { loadNodeConfig } from "../node/config.js";
import { runNode } from "../node/run.js";
import { stopOnSignals } from "./run.js";

export interface DevnetFile {
  chainId: number;
  threadCount: number;
  periodsPerCycle: number;
  t0: number;
  genesisTimestamp: number;
  nodes: { publicApi: string; privateApi: string; dataDir: string; config: string }[];
  accounts: { address: string; secretKey: string; balance: string }[];
}

export interface DevnetOptions {
  dir: string;
  nodes: number;
  t0: number;
  basePort: number;
}

/** Writes a one-node devnet (keys, genesis files, config.toml) into `dir`, unless one is there already. */
export function createDevnet(o: DevnetOptions): {
  configPath: string;
  accounts: DevnetFile["accounts"];
  fresh: boolean;
} {
  const dir = resolve(o.dir);
  const configPath = join(dir, "node-0", "config.toml");
  const accountsPath = join(dir, "accounts.json");
  if (existsSync(configPath) && existsSync(accountsPath)) {
    return { configPath, accounts: JSON.parse(readFileSync(accountsPath, "utf8")), fresh: false };
  }
  if (o.nodes !== 1)
    throw new CliError(
      `--nodes ${o.nodes}: this version runs one-node devnets (several nodes need the network layer)`,
    );
  if (o.t0 % 4 !== 0) throw new CliError(`--t0 ${o.t0}: must be divisible by the thread count (4)`);
  mkdirSync(join(dir, "node-0"), { recursive: true });
  const genesis = SecretKey.generate();
  const staker = SecretKey.generate();
  const stakerAddr = Address.fromPublicKey(staker.publicKey);
  const accounts = Array.from({ length: 5 }, () => {
    const sk = SecretKey.generate();
    return {
      address: Address.fromPublicKey(sk.publicKey).toString(),
      secretKey: sk.toString(),
      balance: "1000000",
    };
  });
  const ledger: Record<string, { balance: string; bytecode: number[]; datastore: [] }> = {};
  for (const a of accounts) ledger[a.address] = { balance: a.balance, bytecode: [], datastore: [] };
  ledger[stakerAddr.toString()] = { balance: "10000", bytecode: [], datastore: [] };
  writeFileSync(join(dir, "initial_ledger.json"), `${JSON.stringify(ledger, null, 2)}\n`);
  writeFileSync(
    join(dir, "initial_rolls.json"),
    `${JSON.stringify({ [stakerAddr.toString()]: 100 }, null, 2)}\n`,
  );
  writeFileSync(join(dir, "node-0", "staking_keys.json"), `${JSON.stringify([staker.toString()])}\n`);
  writeFileSync(accountsPath, `${JSON.stringify(accounts, null, 2)}\n`);
  const port = (n: number) => (o.basePort === 0 ? 0 : o.basePort + n);
  const toml = [
    "# massa-ts devnet node (one node holds every roll and produces every slot)",
    `data_dir = "./data"`,
    "chain_id = 77",
    `genesis_timestamp = ${Date.now()}`,
    `t0 = ${o.t0}`,
    "thread_count = 4",
    "periods_per_cycle = 8",
    "endorsement_count = 16",
    "# a block is final once its descendants weigh more than this (17 per block): ~1.25 periods",
    "delta_f0 = 68",
    `minimal_fees = "0"`,
    `initial_ledger = "../initial_ledger.json"`,
    `initial_rolls = "../initial_rolls.json"`,
    `staking_keys = "./staking_keys.json"`,
    `genesis_key = "${genesis.toString()}"`,
    "",
    "[api]",
    `public = "127.0.0.1:${port(0)}"`,
    `private = "127.0.0.1:${o.basePort === 0 ? 0 : o.basePort - 1}"`,
    "",
  ].join("\n");
  writeFileSync(configPath, toml);
  return { configPath, accounts, fresh: true };
}

export function registerDevnet(program: Command): void {
  program
    .command("devnet")
    .description("create (first time) and run a local devnet with funded accounts; writes DIR/devnet.json")
    .option(
      "--dir <dir>",
      "devnet directory (default: $MASSA_TS_DEVNET_DIR or .devnet)",
      process.env.MASSA_TS_DEVNET_DIR ?? ".devnet",
    )
    .option("--nodes <n>", "number of nodes (1 for now)", "1")
    .option("--t0 <ms>", "period length in ms (new devnets only)", "1000")
    .option(
      "--base-port <port>",
      "public API port (private = port − 1); 0 picks free ports (default: $MASSA_TS_DEVNET_BASE_PORT or 33035)",
      process.env.MASSA_TS_DEVNET_BASE_PORT ?? "33035",
    )
    .action(async (opts: { dir: string; nodes: string; t0: string; basePort: string }) => {
      const num = (v: string, name: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0)
          throw new CliError(`--${name} must be a non-negative integer, got ${v}`);
        return n;
      };
      const o: DevnetOptions = {
        dir: opts.dir,
        nodes: num(opts.nodes, "nodes"),
        t0: num(opts.t0, "t0"),
        basePort: num(opts.basePort, "base-port"),
      };
      const { configPath, accounts, fresh } = createDevnet(o);
      const config = loadNodeConfig(configPath);
      const running = await runNode(config);
      stopOnSignals(running.stop);
      const file: DevnetFile = {
        chainId: config.chain_id,
        threadCount: config.thread_count,
        periodsPerCycle: config.periods_per_cycle,
        t0: config.t0,
        genesisTimestamp: config.genesis_timestamp,
        nodes: [
          {
            publicApi: running.publicUrl,
            privateApi: running.privateUrl,
            dataDir: config.data_dir,
            config: configPath,
          },
        ],
        accounts,
      };
      writeFileSync(join(resolve(o.dir), "devnet.json"), `${JSON.stringify(file, null, 2)}\n`);
      const lines = [
        "",
        `massa-ts devnet ${fresh ? "created" : "restarted"} in ${resolve(o.dir)} (chain id ${file.chainId}, ${file.threadCount} threads, T0 ${file.t0} ms)`,
        `  public API   ${running.publicUrl}`,
        `  private API  ${running.privateUrl}  (metrics: ${running.privateUrl}/metrics)`,
        "",
        "Funded accounts",
        ...accounts.map((a, i) => `  (${i}) ${a.address}  ${a.balance} MAS\n      secret key ${a.secretKey}`),
        "",
        `Everything above is in ${join(resolve(o.dir), "devnet.json")}. Ctrl-C stops the node; run again to continue.`,
        "",
      ];
      process.stderr.write(`${lines.join("\n")}\n`);
      await running.stopped;
    });
}
