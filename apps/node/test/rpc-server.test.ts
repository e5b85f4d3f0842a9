// The JSON-RPC server over real sockets: the private API (loopback only) refuses what a web page or a
// DNS-rebound name would send it and gives no CORS headers; the public one answers browsers (CORS).
// Raw HTTP requests, since fetch cannot set Host.

import type { Server } from "node:http";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRpcServer } from "../src/node/rpc-server.ts";
import { until } from "./wait.ts";

let calls = 0;
const methods = new Map([
  [
    "stop_node",
    () => {
      calls++;
      return null;
    },
  ],
]);
const servers: Server[] = [];
let privatePort = 0;
let publicPort = 0;
beforeAll(async () => {
  const opts = { maxBodyBytes: 10_000, maxBatch: 4, maxResponseBytes: 100_000 };
  const priv = await startRpcServer("127.0.0.1:0", methods, { ...opts, loopbackOnly: true });
  const pub = await startRpcServer("127.0.0.1:0", methods, opts);
  servers.push(priv.server, pub.server);
  privatePort = Number(new URL(priv.url).port);
  publicPort = Number(new URL(pub.url).port);
});
afterAll(() =>
  Promise.all(
    servers.map((s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    }),
  ),
);

function post(port: number, headers: Record<string, string>) {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "stop_node", params: [] });
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/",
          headers: { "Content-Type": "text/plain", ...headers },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => {
            text += d;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    },
  );
}

it("the private API: a web page's request (its Origin) is refused and not run; no CORS headers", async () => {
  const r = await post(privatePort, { Origin: "https://evil.example" });
  expect(r.status).toBe(403);
  expect(JSON.parse(r.body).error.message).toMatch(
    /refuses requests from web pages \(origin "https:\/\/evil.example"\)/,
  );
  expect(r.headers["access-control-allow-origin"]).toBeUndefined();
  expect(calls).toBe(0);
});

it("the private API: a request for another host name (DNS rebinding) is refused and not run", async () => {
  const r = await post(privatePort, { Host: `rebind.evil.example:${privatePort}` });
  expect(r.status).toBe(403);
  expect(JSON.parse(r.body).error.message).toMatch(/loopback host only, not "rebind.evil.example:\d+"/);
  expect(calls).toBe(0);
});

it("the private API answers a local client (loopback Host, no Origin, or a loopback one)", async () => {
  expect((await post(privatePort, {})).status).toBe(200);
  expect(
    (await post(privatePort, { Host: `localhost:${privatePort}`, Origin: "http://127.0.0.1:3000" })).status,
  ).toBe(200);
  expect(calls).toBe(2);
});

it("the public API answers browsers: CORS headers, any origin", async () => {
  const r = await post(publicPort, { Origin: "https://wallet.example" });
  expect(r.status).toBe(200);
  expect(r.headers["access-control-allow-origin"]).toBe("*");
});

it("connections are bounded: past max_connections a new one is closed at once, the open ones still served", async () => {
  const small = await startRpcServer("127.0.0.1:0", methods, {
    maxBodyBytes: 10_000,
    maxBatch: 4,
    maxResponseBytes: 100_000,
    maxConnections: 3,
  });
  servers.push(small.server);
  const port = Number(new URL(small.url).port);
  // three idle connections (a client holding sockets open) take every slot
  const idle = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<Socket>((resolve) => {
          const s = connect(port, "127.0.0.1", () => resolve(s));
          s.on("error", () => {});
        }),
    ),
  );
  await until(async () => (await countConnections(small.server)) === 3, "3 connections open");
  const fourth = connect(port, "127.0.0.1");
  fourth.on("error", () => {});
  await new Promise<void>((r) => fourth.once("close", () => r()));
  for (const s of idle) s.destroy();
  await until(async () => (await countConnections(small.server)) === 0, "the idle ones gone");
  expect((await post(port, { Host: "127.0.0.1" })).status).toBe(200);
});

function countConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((_e, c) => resolve(c)));
}

it("a batch runs one call at a time, yielding in between: work the node queued meanwhile is not held up by the rest of the batch", async () => {
  const order: string[] = [];
  const m = new Map([
    [
      "mark",
      (params: unknown[]) => {
        const i = params[0] as number;
        order.push(`call ${i}`);
        // what a slot tick or another client's request is to the node: work queued on the event loop
        if (i === 0) setImmediate(() => order.push("queued work"));
        return i;
      },
    ],
  ]);
  const s = await startRpcServer("127.0.0.1:0", m, {
    maxBodyBytes: 10_000,
    maxBatch: 16,
    maxResponseBytes: 100_000,
  });
  servers.push(s.server);
  const r = await fetch(s.url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify([0, 1, 2, 3].map((i) => ({ jsonrpc: "2.0", id: i, method: "mark", params: [i] }))),
  });
  expect(((await r.json()) as { result: number }[]).map((a) => a.result)).toEqual([0, 1, 2, 3]);
  // before: the whole batch ran in one go, the queued work after "call 3"
  expect(order).toEqual(["call 0", "queued work", "call 1", "call 2", "call 3"]);
});

it("one client IP holds at most max_connections_per_ip: its next connection is closed, another IP is still served", async () => {
  const s = await startRpcServer("127.0.0.1:0", methods, {
    maxBodyBytes: 10_000,
    maxBatch: 4,
    maxResponseBytes: 100_000,
    maxConnections: 100,
    maxConnectionsPerIp: 2,
  });
  servers.push(s.server);
  const port = Number(new URL(s.url).port);
  // 127.0.0.2 is loopback too (127/8): a second client IP on this machine
  const open = (from: string) =>
    new Promise<Socket>((resolve) => {
      const sock = connect({ port, host: "127.0.0.1", localAddress: from }, () => resolve(sock));
      sock.on("error", () => {});
    });
  const mine = [await open("127.0.0.2"), await open("127.0.0.2")];
  await until(async () => (await countConnections(s.server)) === 2, "two connections from 127.0.0.2");
  const third = await open("127.0.0.2");
  await new Promise<void>((r) => third.once("close", () => r())); // closed at once
  expect((await post(port, { Host: "127.0.0.1" })).status).toBe(200); // 127.0.0.1 is served
  mine[0]!.destroy();
  await until(async () => (await countConnections(s.server)) === 1, "one of them gone");
  const again = await open("127.0.0.2"); // its share has room again
  await until(async () => (await countConnections(s.server)) === 2, "its new connection kept");
  again.destroy();
  mine[1]!.destroy();
});

it("a body over the limit gets its 413 while the client still sends; the connection is cut past twice the limit", async () => {
  // the public server's limit is 10 000 bytes: a client announcing 50 000 and sending them slowly
  const sock = connect({ port: publicPort, host: "127.0.0.1" });
  sock.on("error", () => {});
  let answer = "";
  let closed = false;
  sock.on("data", (d) => {
    answer += d;
  });
  sock.on("close", () => {
    closed = true;
  });
  sock.write(
    "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n",
  );
  sock.write("x".repeat(12_000));
  // the answer comes while the connection is still open for the rest of the body
  await until(() => answer.includes("\r\n\r\n") && answer.includes("larger than 10000"), "the 413", 5_000);
  expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  expect(closed).toBe(false);
  // what follows is read and dropped, up to twice the limit; past it the server cuts the connection
  sock.write("x".repeat(5_000));
  expect(closed).toBe(false);
  sock.write("x".repeat(5_000));
  await until(() => closed, "the connection cut past 20 000 bytes", 5_000);
});
