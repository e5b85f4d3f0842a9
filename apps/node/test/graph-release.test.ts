// A node keeps the operations of its final blocks in memory for a few periods only (Massa's
// `force_keep_final_periods`), their headers longer: past that, what asks for an old block (get_blocks,
// get_operations, a peer) gets it whole from the block store on LMDB, as it was produced.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BlockId, SecretKey, type Slot } from "@massa-ts/models";
import { transferToNewAddress } from "@massa-ts/models/testing";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { publicMethods } from "../src/node/api-public.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type Json, ResponseBudget } from "../src/node/rpc-server.ts";
import { steppedNode, stepSlot } from "./stepped-node.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-release-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("final blocks past the kept periods are read back whole from the block store", async () => {
  const d = createDevnet({ dir, nodes: 1, t0: 16_000, basePort: 0 });
  const config = loadNodeConfig(d.configPath);
  const { node, clock } = await steppedNode(config, join(dir, "data"));
  const api = publicMethods(node);
  const call = async <T>(method: string, params: Json[]) =>
    (await api.get(method)!(params, new ResponseBudget(10_000_000))) as T;
  // the node's own source, counted: whole blocks, and single operations by position
  let reads = 0;
  let opReads = 0;
  node.graph.setBlockSource(
    (id, slot) => {
      reads++;
      return node.blockStore.getFinal(slot, id);
    },
    (id, slot, position) => {
      opReads++;
      return node.blockStore.getFinalOperation(slot, id, position);
    },
  );
  try {
    const sender = SecretKey.fromString(d.accounts[0]!.secretKey);
    const produced: { id: BlockId; slot: Slot; ops: string[] }[] = [];
    while (node.currentSlot!.period < 30) {
      const slot = await stepSlot(node, clock);
      if (slot.thread === 0 && slot.period <= 3) {
        for (let i = 0; i < 2; i++)
          node.pool.add(
            transferToNewAddress(sender, slot.period + 8, BigInt(config.chain_id)),
            slot.period,
            true,
          );
      }
      // the block just made, while it is whole in memory
      const b = node.graph.blockAt(slot);
      if (b && b.operations.length > 0)
        produced.push({ id: b.header.id, slot, ops: b.operations.map((o) => o.id.toString()) });
    }
    expect(reads).toBe(0);
    expect(produced.length).toBeGreaterThan(0);
    expect(produced.every((p) => p.slot.period <= 6)).toBe(true);
    for (const p of produced) {
      // still in the graph (final), its header at hand without a read
      expect(node.graph.status(p.id)).toEqual({ kind: "active", final: true });
      expect(node.graph.header(p.id)?.id.equals(p.id)).toBe(true);
      const before = reads;
      const back = node.graph.get(p.id)!;
      expect(reads, `block ${p.id} at ${p.slot} was read back`).toBe(before + 1);
      expect(back.header.id.equals(p.id)).toBe(true);
      expect(back.operations.map((o) => o.id.toString())).toEqual(p.ops);
      // what clients see of it
      const [json] = await call<{ content: { is_final: boolean; block: { operations: string[] } } }[]>(
        "get_blocks",
        [[p.id.toString()]],
      );
      expect(json!.content.is_final).toBe(true);
      expect(json!.content.block.operations).toEqual(p.ops);
      // get_operations reads each operation alone, by its position in the block, not the whole block
      const [readsBefore, opReadsBefore] = [reads, opReads];
      const ops = await call<
        { id: string; in_blocks: string[]; operation: { signature: string; content: unknown } }[]
      >("get_operations", [p.ops]);
      expect(ops.map((o) => o.id)).toEqual(p.ops);
      expect(reads).toBe(readsBefore);
      expect(opReads).toBe(opReadsBefore + p.ops.length);
      for (const [i, o] of ops.entries()) {
        expect(o.in_blocks).toContain(p.id.toString());
        expect(o.operation.signature).toBe(back.operations[i]!.signature.toString());
      }
      // the store itself: each position gives that operation, past the end nothing
      for (let i = 0; i < back.operations.length; i++)
        expect(node.blockStore.getFinalOperation(p.slot, p.id, i)?.id.toString()).toBe(p.ops[i]);
      expect(node.blockStore.getFinalOperation(p.slot, p.id, back.operations.length)).toBeUndefined();
      expect(node.blockStore.getFinalOperation(p.slot, p.id, -1)).toBeUndefined();
    }
    // get_blocks of several blocks lets the event loop turn between them (an old block is read back from
    // LMDB and decoded, milliseconds each for big blocks): a callback queued before the call runs before
    // the answer
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const answer = call<unknown[]>("get_blocks", [produced.map((p) => p.id.toString())]);
    expect(turned).toBe(false);
    expect(await answer).toHaveLength(produced.length);
    expect(produced.length).toBeGreaterThan(1);
    expect(turned).toBe(true);
    // a block of the last periods keeps its operations in memory
    const recent = node.graph.blockAt(node.currentSlot!)!;
    const before = reads;
    expect(node.graph.get(recent.header.id)).toBe(recent);
    expect(reads).toBe(before);
  } finally {
    await node.stop();
  }
}, 90_000);
