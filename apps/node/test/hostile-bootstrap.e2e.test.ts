// Issue 17, item 5: a bootstrap server (or whoever answers at its address) is not trusted blindly.
// Each test replays one attack over real TCP against a real server node:
// - the config: a bare "host:port" as network.bootstrap would take the state from whoever answers there;
// - a node answering at the pinned address with another key (a man in the middle, or a changed server);
// - a server whose graph carries a forged "final" block at period 10⁹ (it used to become a root and brick
//   the joiner) or a block signed by a key that was not drawn.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import {
  type BlockId,
  operationMerkleRoot,
  SecretKey,
  SignedBlockHeader,
  SignedEndorsement,
  Slot,
} from "@massa-ts/models";
import { type Message, Network, type Peer } from "@massa-ts/protocol";
import pino from "pino";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { BootstrapServer } from "../src/node/bootstrap-server.ts";
import { loadNodeConfig, type NodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { until } from "./wait.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-hostile-bootstrap-"));
let server: RunningNode;
let base: NodeConfig;
let configPath: string;
const honestGraphAsk = BootstrapServer.prototype.onGraphAsk;
beforeAll(async () => {
  const d = createDevnet({ dir, nodes: 1, t0: 400, basePort: 0 });
  configPath = d.configPath;
  base = loadNodeConfig(d.configPath);
  server = await runNode(
    { ...base, network: { ...base.network, listen: "127.0.0.1:0" } },
    pino({ level: "silent" }),
  );
});
afterEach(() => {
  BootstrapServer.prototype.onGraphAsk = honestGraphAsk;
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

let joiners = 0;
/** A joiner bootstrapping from `bootstrap`; resolves with its logs, or rejects with its start error. */
async function join_(bootstrap: string): Promise<{ node: RunningNode; logs: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const node = await runNode(
    {
      ...base,
      data_dir: join(dir, `joiner-${joiners++}`),
      staking_keys: undefined,
      api: { ...base.api, public: "127.0.0.1:0", private: "127.0.0.1:0" },
      network: { ...base.network, listen: "", bootstrap },
    },
    pino({ level: "info" }, sink),
  );
  return { node, logs: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

it("attack: a bare host:port as network.bootstrap (state from whoever answers): a config error naming the fix", () => {
  const path = join(dirname(configPath), "bare.toml");
  writeFileSync(
    path,
    `${readFileSync(configPath, "utf8")}\n[network]\nbootstrap = "127.0.0.1:${server.node.p2pPort}"\n`,
  );
  expect(() => loadNodeConfig(path)).toThrow(/must pin the server's node id: "N…@host:port"/);
});

it("attack: another node answers at the pinned address: refused at the handshake, nothing taken, ids named", async () => {
  const impostor = SecretKey.generate().publicKey.toNodeId();
  const started = join_(`${impostor}@127.0.0.1:${server.node.p2pPort}`);
  await expect(started).rejects.toThrow(
    new RegExp(`answered as node ${server.node.nodeId}, not the pinned ${impostor}`),
  );
});

/** The server's honest graph answer plus one block. */
function serveGraphWith(extra: () => { header: SignedBlockHeader; final: boolean }): void {
  BootstrapServer.prototype.onGraphAsk = function (this: BootstrapServer, peer: Peer) {
    const send = peer.send.bind(peer);
    peer.send = (m) => {
      if (m.type !== "graph") return send(m);
      const e = extra();
      return send({ ...m, blocks: [...m.blocks, { header: e.header, operations: [], final: e.final }] });
    };
    honestGraphAsk.call(this, peer);
    peer.send = send;
  };
}

function headerAt(slot: Slot, parents: readonly BlockId[], key: SecretKey): SignedBlockHeader {
  return SignedBlockHeader.sign(
    {
      currentVersion: 0,
      announcedVersion: undefined,
      slot,
      parents,
      operationMerkleRoot: operationMerkleRoot([]),
      endorsements: [],
      denunciations: [],
    },
    key,
  );
}

it("attack: a 'final' block at period 10⁹ in the server's graph (it bricked the joiner): the start fails, named", async () => {
  const parents = server.node.graph.latestFinalBlocks();
  serveGraphWith(() => ({
    header: headerAt(new Slot(1_000_000_000, 0), parents, SecretKey.generate()),
    final: true,
  }));
  await expect(join_(`${server.node.nodeId}@127.0.0.1:${server.node.p2pPort}`)).rejects.toThrow(
    /sent block .* at \(period: 1000000000, thread: 0\) that fails its checks \(no draws known/,
  );
});

it("attack: a block by a key that was not drawn, in the server's graph: the start fails, named", async () => {
  const parents = server.node.graph.latestFinalBlocks();
  const slot = server.node.currentSlot!;
  serveGraphWith(() => ({ header: headerAt(slot, parents, SecretKey.generate()), final: true }));
  await expect(join_(`${server.node.nodeId}@127.0.0.1:${server.node.p2pPort}`)).rejects.toThrow(
    /that fails its checks \(bad creator turn/,
  );
});

it("attack: a final block by the drawn producer carrying an endorsement by a key not drawn: the start fails, named", async () => {
  // one staker in this devnet: it is drawn to produce every slot and to endorse at every index
  const staker = [...server.node.stakingKeys.values()][0]!;
  const parents = [...server.node.graph.latestFinalBlocks()]; // a copy: the graph's moves on
  const slot = server.node.currentSlot!;
  const forged = SignedEndorsement.sign(
    { slot, index: 0, endorsedBlock: parents[slot.thread]! },
    SecretKey.generate(),
  );
  serveGraphWith(() => ({
    header: SignedBlockHeader.sign(
      {
        currentVersion: 0,
        announcedVersion: undefined,
        slot,
        parents,
        operationMerkleRoot: operationMerkleRoot([]),
        endorsements: [forged],
        denunciations: [],
      },
      staker,
    ),
    final: true,
  }));
  await expect(join_(`${server.node.nodeId}@127.0.0.1:${server.node.p2pPort}`)).rejects.toThrow(
    /that fails its checks \(endorsement 0 is not by the drawn endorser/,
  );
});

it("the honest server, pinned: the joiner bootstraps and follows", async () => {
  const { node, logs } = await join_(`${server.node.nodeId}@127.0.0.1:${server.node.p2pPort}`);
  try {
    expect(logs.some((l) => l.msg === "bootstrap done")).toBe(true);
    expect(node.node.execution.finalSlot.period).toBeGreaterThan(0);
  } finally {
    await node.stop();
  }
});

it("attack: graphAsk over and over (each answer serializes the whole graph): a session each, limited per IP", async () => {
  const d = createDevnet({ dir: join(dir, "graph-spam"), nodes: 1, t0: 400, basePort: 0 });
  const c = loadNodeConfig(d.configPath);
  const serverLog: string[] = [];
  const limited = await runNode(
    { ...c, network: { ...c.network, listen: "127.0.0.1:0", bootstrap_sessions_per_ip_per_minute: 3 } },
    pino(
      { level: "info" },
      new Writable({
        write(chunk, _enc, cb) {
          serverLog.push(String(chunk));
          cb();
        },
      }),
    ),
  );
  const graphs: Message[] = [];
  const closed: string[] = [];
  const asker = new Network({
    chainId: 77n,
    nodeKey: SecretKey.generate(),
    blockLimits: limited.node.limits,
    onMessage: (_p, m) => {
      if (m.type === "graph") graphs.push(m);
    },
    onPeer: (_p, e, reason) => {
      if (e === "closed" && reason) closed.push(reason);
    },
  });
  try {
    asker.connect(`${limited.node.nodeId}@127.0.0.1:${limited.node.p2pPort}`);
    await until(() => asker.connected.length === 1, "the asker's connection", 8000);
    for (let i = 0; i < 3; i++) {
      asker.connected[0]!.send({ type: "graphAsk" });
      await until(
        () => graphs.filter((g) => g.type === "graph" && !g.more).length === i + 1,
        `graph ${i + 1}`,
        8000,
      );
    }
    asker.connected[0]!.send({ type: "graphAsk" });
    await until(() => closed.length > 0, "the fourth refused", 8000);
    expect(serverLog.join("")).toMatch(/too many bootstrap sessions from this address/);
    expect(graphs.filter((g) => g.type === "graph" && !g.more)).toHaveLength(3);
    expect(limited.node.network!.banned().size).toBe(0); // refused, not banned
  } finally {
    await asker.stop();
    await limited.stop();
  }
});
