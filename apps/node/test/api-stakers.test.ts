// Stakers as Massa's API reports them, on a node stepped slot by slot (ManualClock, no real time): active
// rolls of cycle C are the roll counts at the end of cycle C − 3 (the initial rolls before cycle 3), so a roll
// bought in cycle 1 shows in get_stakers from cycle 4 on, not before; pages are Massa's PagedVec (offset is a
// page index); get_addresses' cycle infos carry the active rolls. Expected values worked from Massa's rules
// (massa-pos-exports get_all_active_rolls, massa-api-exports PagedVec), not from the code under test.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Address, Amount, blake3, SecretKey, SignedOperation } from "@massa-ts/models";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { publicMethods } from "../src/node/api-public.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type Json, ResponseBudget } from "../src/node/rpc-server.ts";
import { steppedNode, stepSlot } from "./stepped-node.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-stakers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const te = new TextEncoder();

it("a roll bought in cycle 1 is active from cycle 4; 121 stakers paged as Massa's PagedVec", async () => {
  const d = createDevnet({ dir, nodes: 1, t0: 16_000, basePort: 0 });
  // 120 more stakers holding 1 roll each (they never produce: their rolls go at the first cycle's end, but
  // the active rolls of cycles 0 to 2 are the initial ones); the devnet's staker gets 10 000
  const rollsPath = join(dir, "initial_rolls.json");
  const rolls = JSON.parse(readFileSync(rollsPath, "utf8")) as Record<string, number>;
  const staker = Object.keys(rolls)[0]!;
  rolls[staker] = 10_000;
  const extra = Array.from({ length: 120 }, (_, i) =>
    Address.fromPublicKey(new SecretKey(blake3(te.encode(`staker-${i}`))).publicKey).toString(),
  );
  for (const a of extra) rolls[a] = 1;
  writeFileSync(rollsPath, JSON.stringify(rolls));
  const config = loadNodeConfig(d.configPath);
  const { node, clock } = await steppedNode(config, join(dir, "data"));
  const api = publicMethods(node);
  const call = async <T>(method: string, params: Json[] = []) =>
    (await api.get(method)!(params, new ResponseBudget(10_000_000))) as T;
  const step = () => stepSlot(node, clock);
  const PPC = config.periods_per_cycle;
  const cycle = () => Math.floor(node.currentSlot!.period / PPC);
  try {
    // cycle 0: the initial rolls, paged
    while (node.currentSlot!.period < 1) await step();
    const all = await call<[string, number][]>("get_stakers");
    expect(all).toHaveLength(121);
    expect(all[0]).toEqual([staker, 10_000]);
    const sortedExtra = [...extra].sort((a, b) => {
      const [x, y] = [Address.fromString(a), Address.fromString(b)];
      return Buffer.compare(Buffer.from(x.bytes), Buffer.from(y.bytes));
    });
    expect(all.slice(1).map(([a]) => a)).toEqual(sortedExtra); // ties in Massa's address order
    expect(await call("get_stakers", [{ limit: 50, offset: 2 }])).toEqual(all.slice(100, 121));
    expect(await call("get_stakers", [{ limit: 50, offset: 3 }])).toEqual([]);
    const largest = await call<{ content: unknown[]; total_count: number }>("get_largest_stakers", [{}]);
    expect(largest.content).toEqual(all.slice(0, 50)); // APIv2's default page: offset 0, limit 50
    expect(largest.total_count).toBe(121);

    // cycle 1: a funded account buys a roll
    while (cycle() < 1) await step();
    const buyer = SecretKey.fromString(d.accounts[0]!.secretKey);
    const buyerAddress = Address.fromPublicKey(buyer.publicKey).toString();
    const op = SignedOperation.sign(
      {
        fee: Amount.fromMas("0.01"),
        expirePeriod: node.currentSlot!.period + 5,
        payload: { type: "RollBuy", rollCount: 1n },
      },
      buyer,
      77n,
    );
    await call("send_operations", [
      [
        {
          serialized_content: Array.from(op.contentBytes),
          creator_public_key: op.creator.toString(),
          signature: op.signature.toString(),
        },
      ],
    ]);
    const seen: Record<number, number | undefined> = {};
    while (cycle() < 5) {
      await step();
      const c = cycle();
      if (seen[c] === undefined || c === 4) {
        const stakers = await call<[string, number][]>("get_stakers");
        seen[c] = stakers.find(([a]) => a === buyerAddress)?.[1] ?? 0;
      }
    }
    expect(node.inBlocks(op.id)).toHaveLength(1);
    expect(seen).toEqual({ 1: 0, 2: 0, 3: 0, 4: 1, 5: 1 });
    // get_addresses: the roll is in the final count at once, active (cycle infos) only from cycle 4
    const [info] = await call<
      { final_roll_count: number; cycle_infos: { cycle: number; active_rolls: number | null }[] }[]
    >("get_addresses", [[buyerAddress]]);
    expect(info!.final_roll_count).toBe(1);
    const byCycle = new Map(info!.cycle_infos.map((ci) => [ci.cycle, ci.active_rolls]));
    expect(byCycle.get(4)).toBe(1);
    expect(byCycle.get(3) ?? null).toBe(null); // no rolls on record for it three cycles before
  } finally {
    await node.stop();
  }
}, 120_000);
