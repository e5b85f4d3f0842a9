import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Address, SecretKey, Slot } from "@massa-ts/models";
import { pinnedAddress } from "@massa-ts/protocol";
import type { Command } from "commander";
import { CliError } from "../errors.js";
import { loadNodeConfig } from "../node/config.js";
import { writeSecretFile } from "../node/keys.js";
import { runNode } from "../node/run.js";
import { stopOnSignals } from "./run.js";

export interface DevnetFile {
  chainId: number;
  threadCount: number;
  periodsPerCycle: number;
  t0: number;
  genesisTimestamp: number;
  nodes: { publicApi: string; privateApi: string; apiV2: string; dataDir: string; config: string }[];
  accounts: { address: string; secretKey: string; balance: string }[];
}

export interface DevnetOptions {
  dir: string;
  nodes: number;
  t0: number;
  basePort: number;
  /** Explicit ports per node (overrides `basePort`; the chaos harness takes free ones). */
  ports?: readonly { public: number; private: number; p2p: number; v2?: number }[];
  /**
   * Genesis this long after now (default 0): nodes started as separate processes take seconds to come up,
   * and slots missed by every staker before they do would sell their rolls at the first cycle's end.
   */
  genesisDelayMs?: number;
  /**
   * Periods per cycle (default 8: a cycle every 8 s at T0 = 1 s). A node down for about a cycle misses all
   * its slots of that cycle and loses its rolls at its end; a restart of a separate process takes seconds.
   */
  periodsPerCycle?: number;
  /**
   * Threads (default 4: four blocks a period). A block carries at most 300 000 bytes of operations, about
   * 2 100 transfers, so a devnet finalizes at most about 2 100 × threads transfers a period.
   */
  threads?: number;
  /** Node keys to write into each config's `network.node_key` (default: new ones). */
  nodeKeys?: readonly SecretKey[];
}

/**
 * Writes a devnet into `dir` (keys, genesis files, one `node-i/config.toml` per node, each node staking with
 * its own key and connected to all the others), unless one is there already. Ports of node i: public
 * `base + 10i`, private `base + 10i − 1`, p2p `base + 10i + 1`, APIv2 `base + 10i + 2` (base 0: free ports, one node only).
 */
export function createDevnet(o: DevnetOptions): {
  configPaths: string[];
  configPath: string;
  accounts: DevnetFile["accounts"];
  fresh: boolean;
} {
  const dir = resolve(o.dir);
  const accountsPath = join(dir, "accounts.json");
  const existing: string[] = [];
  for (let i = 0; existsSync(join(dir, `node-${i}`, "config.toml")); i++)
    existing.push(join(dir, `node-${i}`, "config.toml"));
  if (existing.length > 0 && existsSync(accountsPath)) {
    return {
      configPaths: existing,
      configPath: existing[0]!,
      accounts: JSON.parse(readFileSync(accountsPath, "utf8")),
      fresh: false,
    };
  }
  if (o.nodes < 1 || o.nodes > 32) throw new CliError(`--nodes ${o.nodes}: between 1 and 32`);
  if (o.basePort === 0 && o.nodes > 1 && !o.ports)
    throw new CliError("--base-port 0 (free ports) works for one node only: peers need known ports");
  const threads = o.threads ?? 4;
  if (!Number.isInteger(threads) || threads < 1 || threads > 32)
    throw new CliError(`--threads ${o.threads}: between 1 and 32`);
  if (o.t0 % threads !== 0)
    throw new CliError(`--t0 ${o.t0}: must be divisible by the thread count (${threads})`);
  if (o.periodsPerCycle !== undefined && o.periodsPerCycle < 2)
    throw new CliError(`--periods-per-cycle ${o.periodsPerCycle}: at least 2`);
  const genesis = SecretKey.generate();
  const stakers = Array.from({ length: o.nodes }, () => SecretKey.generate());
  // each node's p2p identity, known here so that every peer address can pin the node id answering there
  const nodeKeys = Array.from({ length: o.nodes }, (_, i) => o.nodeKeys?.[i] ?? SecretKey.generate());
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
  const rolls: Record<string, number> = {};
  for (const sk of stakers) {
    const a = Address.fromPublicKey(sk.publicKey).toString();
    ledger[a] = { balance: "10000", bytecode: [], datastore: [] };
    rolls[a] = 100;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "initial_ledger.json"), `${JSON.stringify(ledger, null, 2)}\n`);
  writeFileSync(join(dir, "initial_rolls.json"), `${JSON.stringify(rolls, null, 2)}\n`);
  writeSecretFile(accountsPath, `${JSON.stringify(accounts, null, 2)}\n`);
  const pub = (i: number) => o.ports?.[i]?.public ?? (o.basePort === 0 ? 0 : o.basePort + 10 * i);
  const priv = (i: number) => o.ports?.[i]?.private ?? (o.basePort === 0 ? 0 : o.basePort + 10 * i - 1);
  const p2p = (i: number) => o.ports?.[i]?.p2p ?? (o.basePort === 0 ? 0 : o.basePort + 10 * i + 1);
  const v2 = (i: number) => o.ports?.[i]?.v2 ?? (o.basePort === 0 ? 0 : o.basePort + 10 * i + 2);
  const genesisTimestamp = Date.now() + (o.genesisDelayMs ?? 0);
  const configPaths: string[] = [];
  for (let i = 0; i < o.nodes; i++) {
    const nodeDir = join(dir, `node-${i}`);
    mkdirSync(nodeDir, { recursive: true });
    writeSecretFile(join(nodeDir, "staking_keys.json"), `${JSON.stringify([stakers[i]!.toString()])}\n`);
    const peers = Array.from({ length: o.nodes }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => `"${pinnedAddress(nodeKeys[j]!.publicKey, `127.0.0.1:${p2p(j)}`)}"`);
    const toml = [
      `# massa-ts devnet node ${i} of ${o.nodes}`,
      `data_dir = "./data"`,
      "chain_id = 77",
      `genesis_timestamp = ${genesisTimestamp}`,
      `t0 = ${o.t0}`,
      `thread_count = ${threads}`,
      `periods_per_cycle = ${o.periodsPerCycle ?? 8}`,
      "endorsement_count = 16",
      "# a block is final once its descendants weigh more than this (17 per block): ~1.25 periods",
      `delta_f0 = ${17 * threads}`,
      `minimal_fees = "0"`,
      `initial_ledger = "../initial_ledger.json"`,
      `initial_rolls = "../initial_rolls.json"`,
      `staking_keys = "./staking_keys.json"`,
      `genesis_key = "${genesis.toString()}"`,
      "",
      "[api]",
      `public = "127.0.0.1:${pub(i)}"`,
      `private = "127.0.0.1:${priv(i)}"`,
      "# Massa's APIv2: get_version, get_largest_stakers, get_next_block_best_parents, WebSocket subscriptions",
      `v2 = "127.0.0.1:${v2(i)}"`,
      "",
      ...(o.nodes > 1
        ? [
            "[network]",
            `listen = "127.0.0.1:${p2p(i)}"`,
            `peers = [${peers.join(", ")}]`,
            `node_key = "${nodeKeys[i]!.toString()}"`,
            "# every node of this devnet, joiners and tools connect from 127.0.0.1",
            `max_peers_per_ip = ${o.nodes + 16}`,
            `bootstrap_sessions_per_ip_per_minute = ${60 * o.nodes}`,
            "",
          ]
        : []),
    ].join("\n");
    writeSecretFile(join(nodeDir, "config.toml"), toml); // genesis_key, node_key
    configPaths.push(join(nodeDir, "config.toml"));
  }
  return { configPaths, configPath: configPaths[0]!, accounts, fresh: true };
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
    .option(
      "--nodes <n>",
      "number of nodes (new devnets only), all in this process, connected to each other",
      "1",
    )
    .option("--t0 <ms>", "period length in ms (new devnets only)", "1000")
    .option(
      "--threads <n>",
      "threads, one block each a period (new devnets only); a block holds about 2 100 transfers",
      "4",
    )
    .option(
      "--periods-per-cycle <n>",
      "periods per cycle (new devnets only); 32 or more if nodes are to be killed and restarted as processes",
      "8",
    )
    .option(
      "--base-port <port>",
      "public API port (private = port − 1); 0 picks free ports (default: $MASSA_TS_DEVNET_BASE_PORT or 33035)",
      process.env.MASSA_TS_DEVNET_BASE_PORT ?? "33035",
    )
    .action(
      async (opts: {
        dir: string;
        nodes: string;
        t0: string;
        threads: string;
        basePort: string;
        periodsPerCycle: string;
      }) => {
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
          threads: num(opts.threads, "threads"),
          basePort: num(opts.basePort, "base-port"),
          periodsPerCycle: num(opts.periodsPerCycle, "periods-per-cycle"),
        };
        const { configPaths, accounts, fresh } = createDevnet(o);
        let configs = configPaths.map((p) => loadNodeConfig(p));
        if (!fresh && configs.length === 1) {
          // a one-node devnet restarting: its stop was a network-wide one, so the downtime is interpolated
          // (the node does nothing when its final state is already there); a multi-node devnet's nodes may
          // have stopped at different final slots, so they do not do this on their own
          const c = configs[0]!;
          const now = Slot.latestAt(Date.now(), {
            threadCount: c.thread_count,
            periodsPerCycle: c.periods_per_cycle,
            t0: c.t0,
            genesisTimestamp: c.genesis_timestamp,
          });
          if (now && now.period >= 1) configs = [{ ...c, last_start_period: now.period }];
        }
        const nodes: Awaited<ReturnType<typeof runNode>>[] = [];
        const stopAll = async () => {
          await Promise.all(nodes.map((n) => n.stop()));
        };
        stopOnSignals(stopAll);
        try {
          for (const c of configs) nodes.push(await runNode(c));
        } catch (e) {
          await stopAll();
          throw e;
        }
        const config = configs[0]!;
        const file: DevnetFile = {
          chainId: config.chain_id,
          threadCount: config.thread_count,
          periodsPerCycle: config.periods_per_cycle,
          t0: config.t0,
          genesisTimestamp: config.genesis_timestamp,
          nodes: nodes.map((n, i) => ({
            publicApi: n.publicUrl,
            privateApi: n.privateUrl,
            apiV2: n.apiV2Url,
            dataDir: configs[i]!.data_dir,
            config: configPaths[i]!,
          })),
          accounts,
        };
        writeSecretFile(join(resolve(o.dir), "devnet.json"), `${JSON.stringify(file, null, 2)}\n`);
        const lines = [
          "",
          `massa-ts devnet ${fresh ? "created" : "restarted"} in ${resolve(o.dir)} (chain id ${file.chainId}, ${file.threadCount} threads, T0 ${file.t0} ms)`,
          ...nodes.map(
            (n, i) =>
              `  node ${i}: public API ${n.publicUrl}, private API ${n.privateUrl} (metrics: ${n.privateUrl}/metrics), APIv2 ${n.apiV2Url.replace(/^http/, "ws")}`,
          ),
          "",
          "Funded accounts",
          ...accounts.map(
            (a, i) => `  (${i}) ${a.address}  ${a.balance} MAS\n      secret key ${a.secretKey}`,
          ),
          "",
          `Everything above is in ${join(resolve(o.dir), "devnet.json")}. Ctrl-C stops the node; run again to continue.`,
          "",
        ];
        process.stderr.write(`${lines.join("\n")}\n`);
        await Promise.all(nodes.map((n) => n.stopped));
      },
    );
}
