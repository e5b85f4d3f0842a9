// The chaos harness's attacker (`pnpm chaos --attacker`, issue 17's "proof that it works"): a separate OS
// process that speaks the wire protocol and the public API to every honest node, round after round, with
// fresh node keys each round, until SIGTERM; then it prints one JSON line counting what it sent and what
// came back. Run: node --conditions=@massa-ts/source --import tsx chaos/attacker.ts <plan.json>
// The attacks (what the nodes must do about each):
// - item 1: an operation larger than a block (400 000 bytes) relayed (its sender banned); `askOps` for a
//   real recent block with one id 5 000 times (answered from that block, each id once); `get_operations`
//   with one id 128 times, in a batch of 16 (each id answered once);
// - item 2: a flood of validly signed operations from unfunded keys, in one message of `floodPerRound`
//   (many times the per-peer budget: the excess dropped, the pool refuses the rest, never a ban);
// - item 4: `send_operations` from empty addresses, fee 1 000 000 MAS, far or near expiry (all refused);
// - header spam: headers for slots far ahead (ignored) and for the current period by keys nobody drew (the
//   sender banned once the node's finality passes the slot).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import {
  Address,
  Amount,
  BlockId,
  blake3,
  MASSA_BLOCK_LIMITS,
  OperationId,
  operationMerkleRoot,
  SecretKey,
  SignedBlockHeader,
  SignedOperation,
  Slot,
} from "@massa-ts/models";
import { executeScOfSize } from "@massa-ts/models/testing";
import { type Message, Network } from "@massa-ts/protocol";

/** What the harness hands the attacker (a JSON file). */
export interface AttackPlan {
  readonly seed: number;
  readonly chainId: number;
  readonly t0: number;
  readonly genesisTimestamp: number;
  readonly threadCount: number;
  readonly endorsementCount: number;
  /** Operations flooded to each node per round, in one message (at most 5 000). */
  readonly floodPerRound: number;
  /** Length of a round, ms. */
  readonly roundMs: number;
  /** The honest nodes: pinned p2p address ("N…@host:port"), node key ("P…"), public API URL. */
  readonly nodes: readonly { name: string; p2p: string; nodeKey: string; publicApi: string }[];
}

/** The attacker's counts, printed as one JSON line at SIGTERM. */
export interface AttackCounts {
  rounds: number;
  /** Fresh node keys the attacker connected with. */
  keys: number;
  /** 400 000-byte operations relayed (one per node reached), and the connections the nodes cut after it. */
  largeOps: number;
  largeCut: number;
  /** askOps sent (one id 5 000 times), answers, and the most operations in one answer. */
  askOps: number;
  askAnswers: number;
  askMaxOps: number;
  /** get_operations batches (16 × 128 copies of one id), answers, and the most items in one result. */
  getOpsBatches: number;
  getOpsAnswers: number;
  getOpsMaxItems: number;
  /** Operations flooded (all nodes together), and flooder connections still up at the end of their round. */
  flooded: number;
  floodKept: number;
  floodConnections: number;
  /** send_operations from empty addresses: operations sent, taken (should be none), refused. */
  sendOps: number;
  sendTaken: number;
  sendRefused: number;
  /** Headers sent for slots far ahead, and for the current period by keys that were not drawn. */
  farHeaders: number;
  undrawnHeaders: number;
  /** Requests that failed (a node being killed or restarted, mostly). */
  errors: number;
  /** The flooders' node keys ("P…"): they must never be banned. */
  floodKeys: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const te = new TextEncoder();
const HUGE_FEE = Amount.fromMas("1000000");

async function post<T>(url: string, body: unknown, ms = 5000): Promise<T> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(ms),
  });
  return (await r.json()) as T;
}
const call = (method: string, params: unknown[], id = 1) => ({ jsonrpc: "2.0", id, method, params });

export class Attacker {
  readonly counts: AttackCounts = {
    rounds: 0,
    keys: 0,
    largeOps: 0,
    largeCut: 0,
    askOps: 0,
    askAnswers: 0,
    askMaxOps: 0,
    getOpsBatches: 0,
    getOpsAnswers: 0,
    getOpsMaxItems: 0,
    flooded: 0,
    floodKept: 0,
    floodConnections: 0,
    sendOps: 0,
    sendTaken: 0,
    sendRefused: 0,
    farHeaders: 0,
    undrawnHeaders: 0,
    errors: 0,
    floodKeys: [],
  };
  private stopped = false;
  private readonly nets = new Set<Network>();
  private readonly chainId: bigint;

  constructor(private readonly plan: AttackPlan) {
    this.chainId = BigInt(plan.chainId);
  }

  /** A key derived from the seed (a run's attack keys are reproducible). */
  private key(role: string, round: number, i = 0): SecretKey {
    return new SecretKey(blake3(te.encode(`chaos-attacker-${this.plan.seed}-${role}-${round}-${i}`)));
  }

  private get period(): number {
    const p = this.plan;
    return Math.max(0, Math.floor((Date.now() - p.genesisTimestamp) / p.t0));
  }

  /** A raw peer with a fresh node key, dialing every honest node. */
  private peer(role: string, round: number, onMessage?: (m: Message, from: string) => void): Network {
    const net = new Network({
      chainId: this.chainId,
      nodeKey: this.key(`node-${role}`, round),
      blockLimits: {
        ...MASSA_BLOCK_LIMITS,
        threadCount: this.plan.threadCount,
        endorsementCount: this.plan.endorsementCount,
      },
      ...(onMessage ? { onMessage: (p, m) => onMessage(m, p.publicKey!.toString()) } : {}),
    });
    for (const n of this.plan.nodes) net.connect(n.p2p);
    this.nets.add(net);
    this.counts.keys++;
    return net;
  }

  private async close(net: Network): Promise<void> {
    this.nets.delete(net);
    await net.stop();
  }

  /** Rounds until {@link stop}. */
  async run(): Promise<void> {
    for (let round = 0; !this.stopped; round++) {
      const end = Date.now() + this.plan.roundMs;
      try {
        await this.round(round, end);
      } catch (e) {
        this.counts.errors++;
        process.stderr.write(`attacker: round ${round}: ${(e as Error).message}\n`);
      }
      this.counts.rounds++;
      await sleep(Math.max(0, end - Date.now()));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.nets].map((n) => n.stop()));
  }

  private async round(round: number, end: number): Promise<void> {
    const period = this.period;
    const asked = new Map<string, string>(); // node key → block id asked about
    const flood = this.peer("flood", round, (m, from) => {
      if (m.type !== "blockOps" || asked.get(from) !== m.blockId.toString()) return;
      this.counts.askAnswers++;
      this.counts.askMaxOps = Math.max(this.counts.askMaxOps, m.operations.length);
    });
    this.counts.floodKeys.push(flood.nodeKey.publicKey.toString());
    const large = this.peer("large", round);
    const header = this.peer("header", round);
    const all = [flood, large, header];
    // the nodes up now (others are being killed or restarted): 3 s for the handshakes
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && all.some((n) => n.connected.length < this.plan.nodes.length))
      await sleep(50);
    // what each node has: a recent block with an operation, and the best parents
    const recent = await Promise.all(this.plan.nodes.map((n) => this.recentBlock(n.publicApi)));
    const parents = recent.find((r) => r?.parents)?.parents;

    // item 1: an operation larger than a block, relayed
    const largeOp = executeScOfSize(400_000, this.key("large-op", round), this.chainId, {
      expirePeriod: period + 5,
    });
    const largeSent = large.connected.length;
    large.broadcast({ type: "operations", operations: [largeOp] });
    this.counts.largeOps += largeSent;
    // item 1: askOps with one id 5 000 times, for a block the node has
    for (const p of flood.connected) {
      const i = this.plan.nodes.findIndex((n) => n.nodeKey === p.publicKey!.toString());
      const r = recent[i];
      if (!r) continue;
      asked.set(p.publicKey!.toString(), r.block);
      p.send({
        type: "askOps",
        blockId: BlockId.fromString(r.block),
        ids: Array.from({ length: 5000 }, () => OperationId.fromString(r.op)),
      });
      this.counts.askOps++;
    }
    // item 2: the flood, one message per node of many times the per-second budget
    const floodOps = this.floodOps(round, period);
    const floodSent = flood.connected.length;
    flood.broadcast({ type: "operations", operations: floodOps });
    this.counts.flooded += floodOps.length * floodSent;
    // header spam: far ahead (ignored; by the flooder, which must keep its connection), and for this period
    // by a key that was not drawn (the sender banned once the node's finality passes the slot)
    const T = this.plan.threadCount;
    const headerParents =
      parents ?? Array.from({ length: T }, (_, t) => new BlockId(blake3(te.encode(`${t}`))));
    for (let i = 0; i < 16; i++) {
      const h = this.header(this.key("far", round, i), new Slot(period + 20 + 50 * i, i % T), headerParents);
      flood.broadcast({ type: "header", header: h });
      this.counts.farHeaders += flood.connected.length;
    }
    for (let t = 0; t < T; t++) {
      const h = this.header(this.key("undrawn", round, t), new Slot(period, t), headerParents);
      header.broadcast({ type: "header", header: h });
      this.counts.undrawnHeaders += header.connected.length;
    }
    // items 1 and 4 through the public API of every node
    await Promise.all(
      this.plan.nodes.map(async (n, i) => {
        const r = recent[i];
        if (r) await this.getOperations(n.publicApi, r.op);
        await this.sendOperations(n.publicApi, round, i, period);
      }),
    );
    // the rest of the round: the nodes answer, cut the large operation's sender, judge the headers
    await sleep(Math.max(0, end - 500 - Date.now()));
    this.counts.largeCut += largeSent - large.connected.length;
    this.counts.floodConnections += floodSent;
    this.counts.floodKept += Math.min(floodSent, flood.connected.length);
    await Promise.all(all.map((n) => this.close(n)));
  }

  /** A recent block of the node with an operation (the latest such), and the node's best parents. */
  private async recentBlock(
    url: string,
  ): Promise<{ block: string; op: string; parents: BlockId[] | undefined } | undefined> {
    try {
      const now = Date.now();
      const [graph, best] = await post<[{ result?: { id: string }[] }, { result?: [string, number][] }]>(
        url,
        [
          call("get_graph_interval", [{ start: now - 8 * this.plan.t0, end: now }], 1),
          call("get_next_block_best_parents", [], 2),
        ],
      );
      const ids = (graph.result ?? []).map((b) => b.id).slice(-32);
      const parents = best.result?.map(([id]) => BlockId.fromString(id));
      if (ids.length === 0) return undefined;
      const [blocks] = await post<
        [{ result?: { id: string; content: { block: { operations: string[] } } }[] }]
      >(url, [call("get_blocks", [ids])]);
      const withOp = (blocks.result ?? []).filter((b) => b.content.block.operations.length > 0).at(-1);
      if (!withOp) return undefined;
      return { block: withOp.id, op: withOp.content.block.operations[0]!, parents };
    } catch {
      this.counts.errors++;
      return undefined;
    }
  }

  /** get_operations with one id 128 times, 16 times in one batch. */
  private async getOperations(url: string, op: string): Promise<void> {
    const ids = Array.from({ length: 128 }, () => op);
    this.counts.getOpsBatches++;
    try {
      const answers = await post<{ result?: unknown[] }[]>(
        url,
        Array.from({ length: 16 }, (_, i) => call("get_operations", [ids], i)),
      );
      for (const a of answers) {
        if (!a.result) continue;
        this.counts.getOpsAnswers++;
        this.counts.getOpsMaxItems = Math.max(this.counts.getOpsMaxItems, a.result.length);
      }
    } catch {
      this.counts.errors++;
    }
  }

  /** 32 operations from empty addresses, fee 1 000 000 MAS, half expiring a million periods on. */
  private async sendOperations(url: string, round: number, node: number, period: number): Promise<void> {
    const recipient = Address.fromPublicKey(this.key("recipient", round).publicKey);
    const senders = Array.from({ length: 4 }, (_, i) => this.key(`empty-${node}`, round, i));
    const ops = Array.from({ length: 32 }, (_, i) =>
      SignedOperation.sign(
        {
          fee: HUGE_FEE,
          expirePeriod: i % 2 === 0 ? period + 1_000_000 : period + 5,
          payload: { type: "Transaction", recipient, amount: Amount.fromNano(i + 1) },
        },
        senders[i % senders.length]!,
        this.chainId,
      ),
    );
    for (let i = 0; i < ops.length; i += 16) {
      const batch = ops.slice(i, i + 16);
      try {
        // one operation per call: each is judged on its own
        const answers = await post<{ result?: unknown; error?: unknown }[]>(
          url,
          batch.map((op, j) => call("send_operations", [[op.toSendOperationsInput()]], j)),
        );
        this.counts.sendOps += batch.length;
        for (const a of answers) {
          if (a.result !== undefined) this.counts.sendTaken++;
          else if (a.error !== undefined) this.counts.sendRefused++;
        }
      } catch {
        this.counts.errors++;
      }
    }
  }

  /** Transfers from unfunded keys (50 of them), validly signed, valid for the next 5 periods. */
  private floodOps(round: number, period: number): SignedOperation[] {
    const keys = Array.from({ length: 50 }, (_, i) => this.key("unfunded", round, i));
    const recipient = Address.fromPublicKey(keys[0]!.publicKey);
    return Array.from({ length: this.plan.floodPerRound }, (_, i) =>
      SignedOperation.sign(
        {
          fee: Amount.ZERO,
          expirePeriod: period + 5,
          payload: { type: "Transaction", recipient, amount: Amount.fromNano(i + 1) },
        },
        keys[i % keys.length]!,
        this.chainId,
      ),
    );
  }

  private header(by: SecretKey, slot: Slot, parents: readonly BlockId[]): SignedBlockHeader {
    return SignedBlockHeader.sign(
      {
        currentVersion: 0,
        announcedVersion: undefined,
        slot,
        parents: [...parents],
        operationMerkleRoot: operationMerkleRoot([]),
        endorsements: [],
        denunciations: [],
      },
      by,
    );
  }
}

// the process: attacks until SIGTERM, then prints its counts as one JSON line
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const plan = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as AttackPlan;
  const attacker = new Attacker(plan);
  process.once("SIGTERM", () => {
    void attacker.stop().finally(() => {
      process.stdout.write(`${JSON.stringify(attacker.counts)}\n`, () => process.exit(0));
    });
  });
  void attacker.run();
}
