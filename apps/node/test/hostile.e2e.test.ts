// Hostile peers against a running node (real TCP): a block by the wrong producer and a block carrying an
// operation with a bad signature are refused, their sender is banned by node key, and the node keeps
// producing; an honest peer behind the same IP keeps its connection.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Amount,
  BlockId,
  blake3,
  MASSA_BLOCK_LIMITS,
  operationMerkleRoot,
  SecretKey,
  Signature,
  SignedBlockHeader,
  SignedOperation,
  Slot,
} from "@massa-ts/models";
import { Network } from "@massa-ts/protocol";
import pino from "pino";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-hostile-"));
let running: RunningNode | undefined;
const nets: Network[] = [];
afterAll(async () => {
  await Promise.all(nets.map((n) => n.stop()));
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const until = async (cond: () => boolean, ms = 8000) => {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
};

it("invalid blocks from a peer get it banned; the node keeps producing and keeps honest peers", async () => {
  const d = createDevnet({ dir, nodes: 1, t0: 1000, basePort: 0 });
  const c = loadNodeConfig(d.configPath);
  running = await runNode(
    { ...c, network: { ...c.network, listen: "127.0.0.1:0" } },
    pino({ level: "silent" }),
  );
  const node = running.node;
  const te = new TextEncoder();
  const peer = (name: string) => {
    const n = new Network({
      chainId: 77n,
      nodeKey: new SecretKey(blake3(te.encode(name))),
      blockLimits: {
        ...MASSA_BLOCK_LIMITS,
        threadCount: c.thread_count,
        endorsementCount: c.endorsement_count,
      },
    });
    nets.push(n);
    n.connect(`127.0.0.1:${node.p2pPort}`);
    return n;
  };
  const honest = peer("honest");
  const mallory = peer("mallory");
  const eve = peer("eve");
  await until(() => node.network!.connected.length === 3);
  await until(() => (node.currentSlot?.period ?? 0) >= 2);

  const header = (by: SecretKey, ops: SignedOperation[]) => {
    const slot = node.currentSlot!;
    return SignedBlockHeader.sign(
      {
        currentVersion: 0,
        announcedVersion: undefined,
        slot: new Slot(slot.period, slot.thread),
        parents: node.graph.bestParents(),
        operationMerkleRoot: operationMerkleRoot(ops.map((o) => o.id)),
        endorsements: [],
        denunciations: [],
      },
      by,
    );
  };
  // 1. a block by a key that is not the drawn producer (consensus: invalid)
  const mk = new SecretKey(blake3(te.encode("mallory-staking")));
  const h1 = header(mk, []);
  mallory.broadcast({ type: "header", header: h1 });
  mallory.broadcast({ type: "blockOps", blockId: h1.id, operations: [] });
  await until(() => mallory.connected.length === 0);
  expect([...node.network!.banned().values()].join()).toMatch(/bad creator turn/);

  // 2. a block whose operation carries a bad signature (protocol: invalid before consensus sees it)
  const sender = SecretKey.fromString(d.accounts[0]!.secretKey);
  const good = SignedOperation.sign(
    {
      fee: Amount.ZERO,
      expirePeriod: node.currentSlot!.period + 5,
      payload: { type: "RollBuy", rollCount: 1n },
    },
    sender,
    77n,
  );
  const forged = new SignedOperation(
    good.content,
    good.contentBytes,
    good.creator,
    Signature.fromBytes(new Uint8Array(65)),
    77n,
  );
  const h2 = header(new SecretKey(blake3(te.encode("eve-staking"))), [forged]);
  eve.broadcast({ type: "header", header: h2 });
  eve.broadcast({ type: "blockOps", blockId: h2.id, operations: [forged] });
  await until(() => eve.connected.length === 0);
  expect([...node.network!.banned().values()].join()).toMatch(/bad signature/);
  expect(node.graph.status(h2.id)).toBeUndefined(); // consensus never saw it
  expect(node.graph.status(new BlockId(h1.id.hash))?.kind).toBe("invalid");

  // the honest peer is still connected and the node still produces and finalizes
  expect(honest.connected).toHaveLength(1);
  const final = node.execution.finalSlot;
  await until(() => Slot.compare(node.execution.finalSlot, final) > 0);
});
