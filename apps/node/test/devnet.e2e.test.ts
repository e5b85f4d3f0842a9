// End to end with Massa's own client: a one-node devnet started by the CLI (as a user would), then
// @massalabs/massa-web3 5.3.0, unchanged, reads the status and balances, transfers, buys and sells rolls
// and waits for each to be final. Then Ctrl-C (SIGINT) and a restart that continues from the final state.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as w3 from "@massalabs/massa-web3";
import { afterAll, describe, expect, it } from "vitest";
import { type DevnetFile, type DevnetProcess, spawnDevnet } from "./devnet-process.ts";
import { until } from "./wait.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-devnet-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

type Devnet = DevnetFile;

async function startDevnet(): Promise<DevnetProcess> {
  const p = await spawnDevnet(dir, 1000, 30_000);
  children.push(p.child);
  return p;
}

async function rpc(url: string, method: string, params: unknown[] = []) {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await r.json()) as { result?: unknown; error?: { code: number; message: string } };
}

describe("a one-node devnet driven by massa-web3", () => {
  it("status, balances, a transfer, roll buy and sell, each final; then Ctrl-C and a restart that continues", async () => {
    const { child, devnet, exited } = await startDevnet();
    const url = devnet.nodes[0]!.publicApi;
    const [a0, a1] = devnet.accounts as [Devnet["accounts"][0], Devnet["accounts"][0]];
    const account = await w3.Account.fromPrivateKey(a0.secretKey);
    const provider = w3.JsonRpcProvider.fromRPCUrl(url, account);

    const status = await provider.getNodeStatus();
    expect(Number(status.chainId)).toBe(77);
    expect(await provider.balance(true)).toBe(w3.Mas.fromString("1000000"));

    // transfer 10 MAS (fee 0.01) to account 1, final
    const t = await provider.transfer(a1.address, w3.Mas.fromString("10"), {
      fee: w3.Mas.fromString("0.01"),
    });
    expect(await t.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Success);
    const [b0, b1] = await provider.balanceOf([a0.address, a1.address], true);
    expect(b0!.balance).toBe(w3.Mas.fromString("999989.99"));
    expect(b1!.balance).toBe(w3.Mas.fromString("1000010"));

    // the fee went to the producer of the block that included it: the block's creator is the staker
    const info = (await rpc(url, "get_operations", [[t.id]])).result as {
      in_blocks: string[];
      is_operation_final: boolean;
    }[];
    expect(info[0]!.is_operation_final).toBe(true);
    const blocks = (await rpc(url, "get_blocks", [info[0]!.in_blocks])).result as {
      content: { block: { header: { content_creator_address: string } } };
    }[];
    const producer = blocks[0]!.content.block.header.content_creator_address;
    expect((await rpc(url, "get_stakers", [null])).result).toEqual([[producer, 100]]);

    // buy 3 rolls, then sell 1: final roll counts and the deferred credit of the sale
    const buy = await provider.buyRolls(3n);
    expect(await buy.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Success);
    const sell = await provider.sellRolls(1n);
    expect(await sell.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Success);
    const addr = (await rpc(url, "get_addresses", [[a0.address]])).result as {
      final_roll_count: number;
      final_balance: string;
      deferred_credits: { amount: string }[];
    }[];
    expect(addr[0]!.final_roll_count).toBe(2);
    expect(addr[0]!.final_balance).toBe("999689.99");
    expect(addr[0]!.deferred_credits.map((c) => c.amount)).toEqual(["100"]);

    // a failing operation: selling rolls it does not have; final with an error, fee still charged
    const bad = await w3.JsonRpcProvider.fromRPCUrl(
      url,
      await w3.Account.fromPrivateKey(a1.secretKey),
    ).sellRolls(5n, {
      fee: w3.Mas.fromString("1"),
    });
    expect(await bad.waitFinalExecution(60_000)).toBe(w3.OperationStatus.Error);
    expect((await provider.balanceOf([a1.address], true))[0]!.balance).toBe(w3.Mas.fromString("1000009"));

    // every fee went to the producer. The staker produces and endorses every block (16 endorsements), so it
    // receives each block's whole credits (0.40001 + fees, in 51 parts), except the 16 "endorsed block" parts
    // of a thread's first block, whose parent is a genesis block. Read at one final slot:
    const badInfo = (await rpc(url, "get_operations", [[bad.id]])).result as { in_blocks: string[] }[];
    const fees = new Map<string, bigint>([
      [info[0]!.in_blocks[0]!, 10_000_000n],
      [badInfo[0]!.in_blocks[0]!, 1_000_000_000n],
    ]);
    for (let attempt = 0; ; attempt++) {
      const cursor = async () =>
        (
          (await rpc(url, "get_status", [{}])).result as {
            execution_stats: { final_cursor: { period: number; thread: number } };
          }
        ).execution_stats.final_cursor;
      const c1 = await cursor();
      const graph = (await rpc(url, "get_graph_interval", [{}])).result as {
        id: string;
        is_final: boolean;
        slot: { period: number; thread: number };
        parents: string[];
      }[];
      const bal = ((await rpc(url, "get_addresses", [[producer]])).result as { final_balance: string }[])[0]!
        .final_balance;
      const c2 = await cursor();
      if ((c1.period !== c2.period || c1.thread !== c2.thread) && attempt < 20) continue;
      const period = new Map(graph.map((b) => [b.id, b.slot.period]));
      const upTo = (s: { period: number; thread: number }) =>
        s.period > 0 && (s.period < c1.period || (s.period === c1.period && s.thread <= c1.thread));
      let expected = 10_000_000_000_000n;
      for (const b of graph.filter((x) => x.is_final && upTo(x.slot))) {
        const credits = 400_010_000n + (fees.get(b.id) ?? 0n);
        const parentIsGenesis = period.get(b.parents[b.slot.thread]!) === 0;
        expected += parentIsGenesis ? credits - 16n * (credits / 51n) : credits;
      }
      expect(w3.Mas.fromString(bal)).toBe(expected);
      break;
    }

    // bad input over the API: a clear JSON-RPC error, the node keeps running
    const err = await rpc(url, "send_operations", [
      [{ serialized_content: [1, 2], creator_public_key: "P1", signature: "x" }],
    ]);
    expect(err.error?.message).toMatch(/operation 0/);
    const finalBefore = (
      (await rpc(url, "get_status", [{}])).result as { execution_stats: { final_cursor: { period: number } } }
    ).execution_stats.final_cursor.period;

    // Ctrl-C: a clean stop, then a restart continues from the final state
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    const again = await startDevnet();
    const url2 = again.devnet.nodes[0]!.publicApi;
    const st = (await rpc(url2, "get_status", [{}])).result as {
      execution_stats: { final_cursor: { period: number } };
    };
    expect(st.execution_stats.final_cursor.period).toBeGreaterThanOrEqual(finalBefore);
    const after = (await rpc(url2, "get_addresses", [[a0.address]])).result as {
      final_balance: string;
      final_roll_count: number;
    }[];
    expect(after[0]!.final_balance).toBe("999689.99");
    expect(after[0]!.final_roll_count).toBe(2);
    // and it keeps finalizing
    const finalPeriod = async () =>
      (
        (await rpc(url2, "get_status", [{}])).result as {
          execution_stats: { final_cursor: { period: number } };
        }
      ).execution_stats.final_cursor.period;
    await until(
      async () => (await finalPeriod()) > st.execution_stats.final_cursor.period,
      "the restarted node to finalize a new period",
      20_000,
      100,
    );
    const st2 = (await rpc(url2, "get_status", [{}])).result as {
      execution_stats: { final_cursor: { period: number } };
    };
    expect(st2.execution_stats.final_cursor.period).toBeGreaterThan(st.execution_stats.final_cursor.period);
    again.child.kill("SIGINT");
    expect(await again.exited).toBe(0);
  }, 40_000);
});
