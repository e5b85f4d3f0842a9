// A client pays for blocks full of gas, slot after slot (a contract function that writes storage until its
// 4.29 billion gas run out): the node's API keeps answering while those blocks execute, because execution
// runs on its own thread. Measured against itself in the same run: the time one such call takes (a
// read-only run of the same function with the same gas, on the same node) and the longest the API kept a
// client waiting while the paid blocks executed. Were execution on the node's thread, every API request
// arriving during a block would wait for all of it.

import { OperationId } from "@massa-ts/models";
import * as w3 from "@massalabs/massa-web3";
import { afterAll, expect, it } from "vitest";
import { deployStress, type OneNode, startOneNode } from "./one-node.ts";

let one: OneNode | undefined;
let stop = false;
afterAll(async () => {
  stop = true;
  await one?.stop();
});

/** The most a CallSC may ask: a block's gas less the base cost every operation counts. */
const MAX_CALL_GAS = 4_294_967_295n - 800_000n;

it("the API answers while paid blocks full of gas execute (execution on its own thread)", async () => {
  // T0 2 s: a block full of gas takes up to a second or more on a busy machine, and an execution that falls
  // behind the clock by more than a cycle leaves the next draws unknown (as in Massa); 100 ms slots would
  // let a loaded CI machine stall production long enough for the paid operations to expire
  one = await startOneNode("full-gas", (c) => ({ ...c, t0: 2000 }));
  const url = one.running.publicUrl;
  const { stress } = await deployStress(one, "100");
  // what one full-gas call of writeLoop costs the execution thread, seen from a client
  const t0 = performance.now();
  const ro = await stress.read("writeLoop", new w3.Args(), { maxGas: MAX_CALL_GAS });
  const callMs = performance.now() - t0;
  expect(ro.info.error ?? "").toMatch(/Not enough gas/);

  // the paid calls, one after the other, while a client asks get_status back to back
  let longest = 0;
  let answers = 0;
  const poll = (async () => {
    while (!stop) {
      const t = performance.now();
      const r = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "get_status", params: [] }),
      });
      await r.json();
      longest = Math.max(longest, performance.now() - t);
      answers++;
    }
  })();
  const calls = 4;
  for (let i = 0; i < calls; i++) {
    const op = await stress.call("writeLoop", new w3.Args(), {
      maxGas: MAX_CALL_GAS,
      fee: w3.Mas.fromString("0.01"),
    });
    // out of gas, as meant (already final when the client looks late)
    const status = await op.waitSpeculativeExecution();
    const n = one.running.node;
    const id = OperationId.fromString(op.id);
    const where = `call ${i}: status ${status}; clock ${n.currentSlot}, executed ${n.execution.lastExecutedSlot}, final ${n.execution.finalSlot}; restarts ${one.running.restarts}; in pool ${n.pool.has(id)}; in blocks ${n.inBlocks(id).join(",")}`;
    expect([w3.OperationStatus.SpeculativeError, w3.OperationStatus.Error], where).toContain(status);
  }
  stop = true;
  await poll;
  console.log(
    `full-gas writeLoop: ${callMs.toFixed(0)} ms a call; ${calls} paid ones executed while the API answered ${answers} times, the longest in ${longest.toFixed(0)} ms`,
  );
  expect(answers).toBeGreaterThan(calls * 2);
  // a request never waited for a whole block's execution
  expect(longest).toBeLessThan(callMs / 2);
}, 120_000);
