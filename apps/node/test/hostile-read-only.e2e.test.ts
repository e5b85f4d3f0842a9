// A client floods the node with read-only calls of a block's gas each (a contract function that loops
// until its gas runs out), from 8 connections at once: the node keeps its slots (finality goes on at the
// pace of a quiet node) because read-only executions get a bounded share of its thread; the flood gets
// Massa's error shape saying when to retry.

import { afterAll, expect, it } from "vitest";
import { deployStress, type OneNode, startOneNode } from "./one-node.ts";
import { until as waitUntil } from "./wait.ts";

let one: OneNode | undefined;
afterAll(async () => {
  await one?.stop();
});

it("a flood of full-gas read-only calls gets 'retry' answers while finality keeps its pace", async () => {
  one = await startOneNode("read-only-flood");
  const node = one.node;
  const url = one.running.publicUrl;
  const { stress } = await deployStress(one, "10");
  // final periods gained while `periods` periods pass on the node's own slot clock (not a fixed sleep)
  const finalDuring = async (periods: number) => {
    const from = node.execution.finalSlot.period;
    const until = node.currentSlot!.period + periods;
    await waitUntil(() => node.currentSlot!.period >= until, `period ${until} on the node's clock`, 60_000);
    return node.execution.finalSlot.period - from;
  };
  const quiet = await finalDuring(10);
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
  const flooded = await finalDuring(20);
  stop = true;
  await Promise.all(flood);
  console.log(
    `quiet: ${quiet} final periods while 10 passed; flooded: ${flooded} while 20 passed; ${ran} calls ran, ${refused} told to retry`,
  );
  expect(ran).toBeGreaterThan(3);
  expect(refused).toBeGreaterThan(ran);
  // a quiet node finalizes about as many periods as pass; flooded, it keeps most of that pace
  expect(flooded).toBeGreaterThanOrEqual(Math.floor(1.4 * quiet));
}, 120_000);
