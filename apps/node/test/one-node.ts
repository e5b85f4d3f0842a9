// A one-node devnet running in this process for the hostile tests, and raw peers that speak the wire
// protocol to it from the test (real TCP on 127.0.0.1, ports from the OS).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileContract } from "@massa-ts/example-contracts";
import { blake3, MASSA_BLOCK_LIMITS, SecretKey } from "@massa-ts/models";
import { type Message, Network, type NetworkOptions } from "@massa-ts/protocol";
import * as w3 from "@massalabs/massa-web3";
import pino from "pino";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig, type NodeConfig } from "../src/node/config.ts";
import type { MassaNode } from "../src/node/node.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { until } from "./wait.ts";

export interface OneNode {
  readonly devnet: ReturnType<typeof createDevnet>;
  /** The devnet's config, before `tune`. */
  readonly config: NodeConfig;
  readonly running: RunningNode;
  readonly node: MassaNode;
  /**
   * A raw peer connected to the node, named (its node key derives from the name). It asks for every
   * operation announced to it, so the node's relayed operations reach `onMessage` as `operations`.
   */
  peer(name: string, onMessage?: (m: Message) => void, opts?: Partial<NetworkOptions>): Network;
  /** Stops the peers and the node, removes the directory. */
  stop(): Promise<void>;
}

/**
 * A one-node devnet (4 threads, T0 = 400 ms: 100 ms slots) listening for peers on a port from the OS; `tune`
 * adjusts its config before it starts.
 */
export async function startOneNode(
  name: string,
  tune: (c: NodeConfig) => NodeConfig = (c) => c,
): Promise<OneNode> {
  const dir = mkdtempSync(join(tmpdir(), `massa-ts-${name}-`));
  const devnet = createDevnet({ dir, nodes: 1, t0: 400, basePort: 0 });
  const config = loadNodeConfig(devnet.configPath);
  // the tests' peers all connect from 127.0.0.1
  const base = { ...config, network: { ...config.network, listen: "127.0.0.1:0", max_peers_per_ip: 64 } };
  const running = await runNode(
    tune(base),
    pino(
      { level: process.env.ONE_NODE_LOG ? "debug" : "silent" },
      process.env.ONE_NODE_LOG ? pino.destination(process.env.ONE_NODE_LOG) : undefined,
    ),
  );
  const node = running.node;
  const nets: Network[] = [];
  const te = new TextEncoder();
  return {
    devnet,
    config,
    running,
    node,
    peer(peerName, onMessage, opts = {}) {
      const n = new Network({
        chainId: 77n,
        nodeKey: new SecretKey(blake3(te.encode(peerName))),
        blockLimits: {
          ...MASSA_BLOCK_LIMITS,
          threadCount: config.thread_count,
          endorsementCount: config.endorsement_count,
        },
        onMessage: (p, m) => {
          // as a node does, it asks for the operations announced to it (they then arrive as `operations`)
          if (m.type === "opAnnounce") p.send({ type: "askOperations", ids: m.ids });
          onMessage?.(m);
        },
        ...opts,
      });
      nets.push(n);
      n.connect(`127.0.0.1:${node.p2pPort}`);
      return n;
    },
    async stop() {
      await Promise.all(nets.map((n) => n.stop()));
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The example `stress` contract (functions that loop until their gas runs out) deployed through massa-web3
 * with `coins` MAS, once the node is past period 2; with the provider that deployed it.
 */
export async function deployStress(
  one: OneNode,
  coins: string,
): Promise<{ provider: w3.JsonRpcProvider; stress: w3.SmartContract }> {
  await until(() => (one.node.currentSlot?.period ?? 0) >= 2, "period 2", 20_000);
  const account = await w3.Account.fromPrivateKey(one.devnet.accounts[0]!.secretKey);
  const provider = w3.JsonRpcProvider.fromRPCUrl(one.running.publicUrl, account);
  const stress = await w3.SmartContract.deploy(provider, await compileContract("stress"), new w3.Args(), {
    coins: w3.Mas.fromString(coins),
    waitFinalExecution: true,
  });
  return { provider, stress };
}
