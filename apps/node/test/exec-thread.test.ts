// The execution thread and what the node's thread mirrors of it. Consensus judges operation reuse with the
// mirror of the final executed operations, and the pool and the factory read the candidate ones: the
// mirror must say exactly what the final state and execution say, as operations are executed, settled and
// forgotten (10 periods after their expiry, Massa's rule), slot after slot.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OperationId, SecretKey } from "@massa-ts/models";
import { transferToNewAddress } from "@massa-ts/models/testing";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { steppedNode, stepSlot } from "./stepped-node.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

it("the mirrored operation statuses agree with the final state's and execution's at every period, through pruning", async () => {
  const dir = mkdtempSync(join(tmpdir(), "massa-ts-exec-thread-"));
  dirs.push(dir);
  const d = createDevnet({ dir, nodes: 1, t0: 16_000, basePort: 0 });
  const config = loadNodeConfig(d.configPath);
  const { node, clock } = await steppedNode(config, join(dir, "n"));
  try {
    const chainId = BigInt(config.chain_id);
    const sender = SecretKey.fromString(d.accounts[0]!.secretKey);
    const sent: string[] = [];
    const seen = { final: 0, candidate: 0, forgotten: 0 };
    const everFinal = new Set<string>();
    while (node.currentSlot!.period < 30) {
      const slot = await stepSlot(node, clock);
      // two transfers a period, expiring soon: they are executed, settled, then forgotten 10 periods later
      if (slot.thread === 0 && slot.period < 15) {
        for (let i = 0; i < 2; i++) {
          const op = transferToNewAddress(sender, slot.period + 2, chainId);
          node.pool.add(op, slot.period, true);
          sent.push(op.id.toString());
        }
      }
      const truth = await node.execution.call("operationStatuses", sent);
      sent.forEach((text, i) => {
        const t = truth[i]!;
        const mirrored = node.execution.operationStatus(parse(text));
        expect(node.execution.isExecuted(parse(text)), `${text} final executed at ${slot}`).toBe(
          t.finalExecuted,
        );
        expect(
          mirrored ? { success: mirrored.success, final: mirrored.final } : null,
          `${text} at ${slot}`,
        ).toEqual(t.status);
        if (t.finalExecuted) everFinal.add(text);
        if (t.status?.final) seen.final++;
        if (t.status && !t.status.final) seen.candidate++;
        if (everFinal.has(text) && !t.finalExecuted) seen.forgotten++;
      });
    }
    // the run went through every state: candidate, final, and forgotten after expiry
    expect(seen.candidate).toBeGreaterThan(0);
    expect(seen.final).toBeGreaterThan(0);
    expect(seen.forgotten).toBeGreaterThan(0);
    expect(everFinal.size).toBe(sent.length);
  } finally {
    await node.stop();
  }
}, 60_000);

const parse = (text: string) => OperationId.fromString(text);
