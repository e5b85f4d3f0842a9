// A client floods the node with read-only calls of a block's gas each (a contract function that loops
// until its gas runs out), from 8 connections at once: the node keeps its slots (finality goes on at the
// pace of a quiet node) because read-only executions get a bounded share of its thread; the flood gets
// Massa's error shape saying when to retry.

import { afterAll, expect, it } from "vitest";
import { deployStress, type OneNode, startOneNode } from "./one-node.ts";

let one: OneNode | undefined;
afterAll(async () => {
  await one?.stop();
});

it("a flood of full-gas read-only calls gets 'retry' answers while finality keeps its pace", async () => {
  one = await startOneNode("read-only-flood");
  const node = one.node;
  const url = one.running.publicUrl;
  const { stress } = await deployStress(one, "10");
  const periodsIn = async (ms: number) => {
    const from = node.execution.finalSlot.period;
    await new Promise((r) => setTimeout(r, ms));
    return node.execution.finalSlot.period - from;
  };
  const quiet = await periodsIn(4_000);
  let ran = 0;
  let refused = 0;
  let stop = false;
  const flood = Array.from({ length: 8 }, async () => {
    while (!stop) {
      const r = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "execute_read_only_call",
          params: [
            [
              {
                max_gas: 4_294_967_295,
                target_address: stress.address,
                target_function: "spin",
                parameter: [],
                caller_address: null,
                coins: null,
                fee: null,
              },
            ],
          ],
        }),
      });
      const j = (await r.json()) as { result: { result: { Error?: string } }[] };
      const error = j.result[0]!.result.Error ?? "";
      if (/retry in \d+ ms/.test(error)) refused++;
      else if (/Not enough gas/.test(error)) ran++;
    }
  });
  const flooded = await periodsIn(8_000);
  stop = true;
  await Promise.all(flood);
  console.log(
    `quiet: ${quiet} final periods in 4 s; flooded: ${flooded} in 8 s; ${ran} calls ran, ${refused} told to retry`,
  );
  expect(ran).toBeGreaterThan(3);
  expect(refused).toBeGreaterThan(ran);
  // T0 = 400 ms: a quiet node finalizes about 10 periods in 4 s; flooded, it keeps most of that pace
  expect(flooded).toBeGreaterThanOrEqual(Math.floor(1.4 * quiet));
}, 120_000);
