// The load generator's sender thread against HTTP servers that misbehave: one that never answers, one that
// answers without end, one that answers as a node does. Real worker thread, real sockets on 127.0.0.1.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Worker } from "node:worker_threads";
import { Address, SecretKey } from "@massa-ts/models";
import { afterEach, describe, expect, it } from "vitest";
import type { SenderInit, SenderMessage, SenderReport } from "../src/load/sender.worker.ts";
import { spawnWorker } from "../src/spawn-worker.ts";
import { until } from "./wait.ts";

const servers: Server[] = [];
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

/** A sender thread for two fresh keys, sending 50 transfers a second to `url`; its reports collected. */
function sender(url: string, extra: Partial<SenderInit> = {}): SenderReport[] {
  const keys = [SecretKey.generate(), SecretKey.generate()];
  const init: SenderInit = {
    url,
    chainId: "77",
    fee: "0.01",
    secretKeys: keys.map((k) => k.toString()),
    recipients: keys.map((k) => Address.fromPublicKey(k.publicKey).toString()).reverse(),
    validityPeriods: 10,
    ...extra,
  };
  const w = spawnWorker(new URL("../src/load/run-load.ts", import.meta.url).href, "sender.worker", {
    workerData: init,
  });
  workers.push(w);
  const reports: SenderReport[] = [];
  w.on("message", (r: SenderReport) => {
    reports.push(r);
    if (r.type === "ready") {
      w.postMessage({ type: "period", period: 1 } satisfies SenderMessage);
      w.postMessage({ type: "rate", perSecond: 50 } satisfies SenderMessage);
    }
  });
  return reports;
}

const refusals = (reports: SenderReport[]) =>
  reports.flatMap((r) => (r.type === "refused" ? [r.reason] : []));

describe("load sender thread", () => {
  it("a node that never answers: the call fails after the idle timeout, its operations counted refused", async () => {
    const url = await serve(() => {
      // reads the request, never answers
    });
    const reports = sender(url, { answerTimeoutMs: 300 });
    await until(() => refusals(reports).length > 0, "a refusal", 15_000);
    expect(refusals(reports)[0]).toMatch(/^unreachable: the node sent nothing for 0\.3 s/);
    expect(reports.some((r) => r.type === "sent")).toBe(false);
  });

  it("an answer larger than the bound is cut, not read to the end", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write(`{"jsonrpc":"2.0","id":1,"result":["${"x".repeat(64 * 1024)}`);
      // the rest never comes: the sender must stop at its bound, not wait for the end
    });
    const reports = sender(url, { maxAnswerBytes: 10_000, answerTimeoutMs: 30_000 });
    await until(() => refusals(reports).length > 0, "a refusal", 15_000);
    expect(refusals(reports)[0]).toMatch(/^unreachable: the answer exceeds 10000 bytes/);
  });

  it("an answer that is not JSON-RPC (a proxy's error page) is a refusal naming the HTTP status", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(502, { "Content-Type": "text/html" });
      res.end("<html>bad gateway</html>");
    });
    const reports = sender(url);
    await until(() => refusals(reports).length > 0, "a refusal", 15_000);
    expect(refusals(reports)[0]).toBe("unreachable: HTTP 502, not a JSON-RPC answer");
  });

  it("a kept-alive connection the node drops as a call arrives: the call is made again, nothing refused", async () => {
    const seen = new WeakSet<object>();
    let dropped = 0;
    let answered = 0;
    const url = await serve((req, res) => {
      if (seen.has(req.socket) && dropped === 0) {
        dropped++;
        req.socket.destroy(); // as a keep-alive timeout closing the connection the client reuses
        return;
      }
      seen.add(req.socket);
      req.resume();
      req.on("end", () => {
        answered++;
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: [`O${answered}`] }));
      });
    });
    const reports = sender(url);
    await until(() => dropped === 1 && answered >= 3, "a dropped call and answers after it", 15_000);
    expect(refusals(reports)).toEqual([]);
  });

  it("a node that answers: every operation of the call reported sent, with the ids it answered", async () => {
    let calls = 0;
    const url = await serve((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        calls++;
        // the request is the JSON-RPC Massa's API takes: the content bytes as a list of numbers
        const rpc = JSON.parse(body) as {
          method: string;
          params: [{ serialized_content: number[]; creator_public_key: string; signature: string }[]];
        };
        expect(rpc.method).toBe("send_operations");
        const ops = rpc.params[0];
        for (const o of ops) {
          expect(o.creator_public_key).toMatch(/^P[1-9A-HJ-NP-Za-km-z]+$/);
          expect(o.serialized_content.every((b) => Number.isInteger(b) && b >= 0 && b < 256)).toBe(true);
        }
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: ops.map((_, i) => `O${calls}-${i}`) }));
      });
    });
    const reports = sender(url);
    await until(() => reports.some((r) => r.type === "sent"), "a sent report", 15_000);
    const sent = reports.find((r) => r.type === "sent");
    expect(sent?.type === "sent" && sent.ids[0]).toBe("O1-0");
    expect(refusals(reports)).toEqual([]);
  });
});
