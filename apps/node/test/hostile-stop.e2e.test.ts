// A client cannot keep a node running after it was told to stop. One that sends a request's headers and
// then holds its body (the request in progress, the connection not idle) used to hold the node's stop for
// the server's request timeout (30 s) while its clock kept producing blocks alone: after a whole-network
// restart, such a node came back with a final state its peers never saw. The node now stops first (its
// clock at once), then closes the connections left open.
import { connect } from "node:net";
import { expect, it } from "vitest";
import { startOneNode } from "./one-node.ts";
import { until } from "./wait.ts";

it("a request held half-sent does not hold the node's stop", async () => {
  const one = await startOneNode("stop");
  await until(() => (one.node.currentSlot?.period ?? 0) >= 1, "period 1", 20_000);
  const { hostname, port } = new URL(one.running.publicUrl);
  const socket = connect(Number(port), hostname);
  let received = "";
  let closed = false;
  socket.on("data", (d) => {
    received += d.toString();
  });
  socket.on("close", () => {
    closed = true;
  });
  socket.on("error", () => {});
  // the server answers "100 Continue" once it has the headers: the request is then in its handler,
  // waiting for a body that never comes
  socket.write(
    `POST / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n` +
      "Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n",
  );
  await until(() => received.includes("100 Continue"), "the server's 100 Continue", 10_000);
  socket.write('{"jsonrpc":"2.0","id":1,');
  const blocksAtStop = one.node.graph.activeBlocks().length;
  const started = Date.now();
  let stopped = false;
  const stop = one.stop().then(() => {
    stopped = true;
  });
  // well before the server's 30 s request timeout would have ended the request
  await until(() => stopped, "the node's stop", 15_000);
  await stop;
  // the server closed its end; the client learns it when the FIN or reset reaches it
  await until(() => closed || socket.destroyed, "the held connection closed", 5_000);
  // its clock stopped at once: no block produced after the stop began (100 ms slots)
  expect(one.node.graph.activeBlocks().length).toBeLessThanOrEqual(blocksAtStop + 1);
  console.log(`stopped in ${Date.now() - started} ms with a request held half-sent`);
  socket.destroy();
}, 60_000);
