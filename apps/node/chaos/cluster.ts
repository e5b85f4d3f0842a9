// The chaos harness's nodes: each an ordinary `massa-ts run --config` in its own OS process (run from
// source with tsx, so no build is needed), its log appended to node-i/node.log, killed with SIGKILL or
// stopped with SIGTERM, restarted on the same data dir, or bootstrapped into the running network.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Address, SecretKey } from "@massa-ts/models";
import { pinnedAddress } from "@massa-ts/protocol";
import { createDevnet } from "../src/commands/devnet.ts";
import { rpc } from "../test/rpc-helper.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** The OS's range of ephemeral ports (Linux; undefined elsewhere). */
function ephemeralRange(): [number, number] | undefined {
  try {
    const [lo, hi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    return lo && hi ? [lo, hi] : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `port` can be listened on at 127.0.0.1 now (0: any; resolves with the port taken). */
function tryListen(port: number): Promise<import("node:net").Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(undefined));
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

/**
 * Free TCP ports on 127.0.0.1 for nodes to listen on (then released for them). Below the OS's ephemeral
 * range when there is room: a port the OS hands out for port 0 comes from that range, where any outgoing
 * connection (one node dialing another) may take it as its local port before the node listens on it, or
 * while a node is down between a stop and its restart. Elsewhere, ports the OS hands out for port 0.
 */
export async function freePorts(n: number): Promise<number[]> {
  const range = ephemeralRange();
  const servers: import("node:net").Server[] = [];
  if (range && range[0] > 12_000) {
    const [low] = range;
    for (let tries = 0; servers.length < n && tries < 50 * n; tries++) {
      const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
      const s = await tryListen(port);
      if (s) servers.push(s);
    }
  }
  while (servers.length < n) {
    const s = await tryListen(0);
    if (!s) throw new Error("cannot listen on 127.0.0.1");
    servers.push(s);
  }
  const ports = servers.map((s) => (s.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface ChaosNode {
  readonly name: string;
  readonly dir: string;
  readonly config: string;
  readonly publicApi: string;
  readonly privateApi: string;
  readonly p2p: string;
  readonly nodeKey: SecretKey;
  readonly staking: boolean;
  /** The address it stakes with (staking nodes). */
  readonly stakerAddress?: string;
  proc: ChildProcess | undefined;
  /** Resolves when the current process has exited. */
  exited: Promise<number | null> | undefined;
  starts: number;
}

export class Cluster {
  readonly nodes: ChaosNode[] = [];
  readonly accounts: { address: string; secretKey: string; balance: string }[];
  readonly genesisTimestamp: number;
  private joiners = 0;

  private constructor(
    readonly dir: string,
    readonly t0: number,
    accounts: Cluster["accounts"],
    genesisTimestamp: number,
  ) {
    this.accounts = accounts;
    this.genesisTimestamp = genesisTimestamp;
  }

  /** A new devnet of `n` staking nodes in `dir` (configs only: nothing runs yet). */
  static async create(dir: string, n: number, t0: number, periodsPerCycle = 32): Promise<Cluster> {
    const ports = await freePorts(3 * n);
    const keys = Array.from({ length: n }, () => SecretKey.generate());
    const d = createDevnet({
      dir,
      nodes: n,
      t0,
      basePort: 0,
      ports: Array.from({ length: n }, (_, i) => ({
        public: ports[3 * i]!,
        private: ports[3 * i + 1]!,
        p2p: ports[3 * i + 2]!,
      })),
      nodeKeys: keys,
      genesisDelayMs: 20_000,
      // a restarted process misses a few seconds of slots: with 8-period cycles that is a whole cycle
      // (its rolls sold at the cycle's end, and the draws two cycles ahead run out if finality lags)
      periodsPerCycle,
    });
    // CHAOS_LOG_LEVEL=debug: the nodes' logs in more detail (to follow one block through every node)
    const level = process.env.CHAOS_LOG_LEVEL;
    if (level)
      for (const path of d.configPaths)
        writeFileSync(path, `log_level = "${level}"\n${readFileSync(path, "utf8")}`);
    const head = readFileSync(d.configPaths[0]!, "utf8");
    const genesis = Number(/genesis_timestamp = (\d+)/.exec(head)![1]);
    const c = new Cluster(dir, t0, d.accounts, genesis);
    d.configPaths.forEach((config, i) => {
      c.nodes.push({
        name: `node-${i}`,
        dir: join(dir, `node-${i}`),
        config,
        publicApi: `http://127.0.0.1:${ports[3 * i]}`,
        privateApi: `http://127.0.0.1:${ports[3 * i + 1]}`,
        p2p: `127.0.0.1:${ports[3 * i + 2]}`,
        nodeKey: keys[i]!,
        staking: true,
        stakerAddress: Address.fromPublicKey(
          SecretKey.fromString(
            (JSON.parse(readFileSync(join(dir, `node-${i}`, "staking_keys.json"), "utf8")) as string[])[0]!,
          ).publicKey,
        ).toString(),
        proc: undefined,
        exited: undefined,
        starts: 0,
      });
    });
    return c;
  }

  /**
   * A joiner: node-0's chain settings without staking keys, its own ports and data dir, peers = every
   * staking node, bootstrapping from `from` (a live node).
   */
  async addJoiner(from: ChaosNode): Promise<ChaosNode> {
    const [pub, priv, p2p] = await freePorts(3);
    const name = `joiner-${this.joiners++}`;
    const dir = join(this.dir, name);
    const key = SecretKey.generate();
    const base = readFileSync(this.nodes[0]!.config, "utf8");
    const chain = base
      .slice(0, base.indexOf("[api]"))
      .split("\n")
      .filter((l) => !l.startsWith("staking_keys"))
      .join("\n");
    const pinned = (n: ChaosNode) => pinnedAddress(n.nodeKey.publicKey, n.p2p);
    const peers = this.nodes.filter((n) => n.staking).map((n) => `"${pinned(n)}"`);
    const toml = [
      chain,
      "[api]",
      `public = "127.0.0.1:${pub}"`,
      `private = "127.0.0.1:${priv}"`,
      "",
      "[network]",
      `listen = "127.0.0.1:${p2p}"`,
      `peers = [${peers.join(", ")}]`,
      `bootstrap = "${pinned(from)}"`,
      `node_key = "${key.toString()}"`,
      "",
    ].join("\n");
    mkdirSync(dir, { recursive: true });
    const config = join(dir, "config.toml");
    writeFileSync(config, toml);
    const node: ChaosNode = {
      name,
      dir,
      config,
      publicApi: `http://127.0.0.1:${pub}`,
      privateApi: `http://127.0.0.1:${priv}`,
      p2p: `127.0.0.1:${p2p}`,
      nodeKey: key,
      staking: false,
      proc: undefined,
      exited: undefined,
      starts: 0,
    };
    this.nodes.push(node);
    return node;
  }

  /** Starts the node's process (its log appended to `dir/node.log`). */
  start(node: ChaosNode): void {
    if (node.proc) throw new Error(`${node.name} is already running`);
    const log = createWriteStream(join(node.dir, "node.log"), { flags: "a" });
    const proc = spawn(
      process.execPath,
      ["--conditions=@massa-ts/source", "--import", "tsx", MAIN, "run", "--config", node.config],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
    );
    proc.stdout!.pipe(log, { end: false });
    proc.stderr!.pipe(log, { end: false });
    node.proc = proc;
    node.starts++;
    node.exited = new Promise((resolve) =>
      proc.once("exit", (code) => {
        node.proc = undefined;
        log.end();
        resolve(code);
      }),
    );
  }

  /**
   * SIGKILL (no clean stop) or SIGTERM (drains the final state), and waits for the exit. A node still
   * running 30 s after SIGTERM is killed and named in {@link hungStops}: a node that keeps running after
   * it was told to stop keeps producing alone, and a network restarted around it can stall.
   */
  async stop(node: ChaosNode, signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    if (!node.proc) return;
    node.proc.kill(signal);
    const deadline = setTimeout(() => {
      if (!node.proc) return;
      if (signal === "SIGTERM") this.hungStops.push(`${node.name} (start ${node.starts})`);
      node.proc.kill("SIGKILL");
    }, 30_000);
    await node.exited;
    clearTimeout(deadline);
  }

  /** Nodes that did not stop within 30 s of a SIGTERM (and were killed). */
  readonly hungStops: string[] = [];

  /** Removes a stopped joiner and its data (its log stays). */
  remove(node: ChaosNode): void {
    const i = this.nodes.indexOf(node);
    if (i >= 0) this.nodes.splice(i, 1);
    rmSync(join(node.dir, "data"), { recursive: true, force: true });
  }

  running(): ChaosNode[] {
    return this.nodes.filter((n) => n.proc !== undefined);
  }

  /** Whether the node answers its public API. */
  async ready(node: ChaosNode): Promise<boolean> {
    try {
      await rpc(node.publicApi, "get_status", [{}]);
      return true;
    } catch {
      return false;
    }
  }

  /** Partitions: `node` stops talking to `others` (no ban) until {@link heal}. */
  async block(node: ChaosNode, others: readonly ChaosNode[]): Promise<void> {
    await rpc(node.privateApi, "node_block_peers", [others.map((o) => o.nodeKey.publicKey.toString())]);
  }

  async heal(node: ChaosNode, others: readonly ChaosNode[]): Promise<void> {
    await rpc(node.privateApi, "node_unblock_peers", [others.map((o) => o.nodeKey.publicKey.toString())]);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stop(n, "SIGTERM")));
  }
}
