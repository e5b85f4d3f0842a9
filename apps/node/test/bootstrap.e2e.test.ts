// Bootstrap over real TCP with a dropped connection: a new node streams a 30 000-entry final state from a
// peer through a TCP relay that cuts the connection once, mid-stream (after 2.5 MB); the client reconnects,
// resumes from its cursor (no restart from zero) and ends with the server's state: same ledger, same
// fingerprint.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Address, blake3 } from "@massa-ts/models";
import pino from "pino";
import { afterAll, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-bootstrap-"));
const running: RunningNode[] = [];
let relay: Server | undefined;
afterAll(async () => {
  relay?.close();
  await Promise.all(running.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

it("a bootstrap cut mid-stream resumes from its cursor and ends with the server's state", async () => {
  const te = new TextEncoder();
  const d = createDevnet({ dir, nodes: 1, t0: 4000, basePort: 0 });
  const ledgerPath = join(dir, "initial_ledger.json");
  const ledger = JSON.parse(readFileSync(ledgerPath, "utf8")) as Record<string, unknown>;
  for (let i = 0; i < 30_000; i++) {
    ledger[new Address("user", blake3(te.encode(`filler-${i}`))).toString()] = {
      balance: "1",
      bytecode: [],
      datastore: [],
    };
  }
  writeFileSync(ledgerPath, JSON.stringify(ledger));
  const c = loadNodeConfig(d.configPath);
  // the server does not stake: its state stays put, so both ends can be compared exactly at the end
  const server = await runNode(
    { ...c, staking_keys: undefined, network: { ...c.network, listen: "127.0.0.1:0" } },
    pino({ level: "silent" }),
  );
  running.push(server);

  // the relay: forwards both ways; the first connection is cut once 2.5 MB came from the server
  let cut = false;
  relay = createServer((client: Socket) => {
    const upstream = connect(server.node.p2pPort!, "127.0.0.1");
    let fromServer = 0;
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
    client.on("data", (b) => upstream.write(b));
    upstream.on("data", (b) => {
      fromServer += b.length;
      if (!cut && fromServer > 2_500_000) {
        cut = true;
        drop();
        return;
      }
      client.write(b);
    });
  });
  await new Promise<void>((r) => relay!.listen(0, "127.0.0.1", r));
  const relayPort = (relay.address() as { port: number }).port;

  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const joining = runNode(
    {
      ...c,
      data_dir: join(dir, "client-data"),
      staking_keys: undefined,
      api: { ...c.api, public: "127.0.0.1:0", private: "127.0.0.1:0" },
      network: {
        ...c.network,
        listen: "",
        // the relay only forwards bytes: the server's node id, pinned, still answers through it
        bootstrap: `${server.node.nodeId}@127.0.0.1:${relayPort}`,
      },
    },
    pino({ level: "info" }, sink),
  );
  const client = await joining;
  running.push(client);
  const logs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(cut).toBe(true);
  expect(logs.some((l) => l.msg === "bootstrap interrupted: resuming")).toBe(true);
  const states = logs.filter((l) => l.msg === "bootstrap: state");
  expect(states.at(-1)).toMatchObject({ finished: true, percent: 100 });
  // resumed, not restarted: every record arrived exactly once (a restart from zero would count some twice)
  await server.node.fs.drain();
  expect(states.at(-1)!.entries).toBe(server.node.fs.approxRecordCount());
  expect(states.at(-1)!.total).toBe(server.node.fs.approxRecordCount());
  expect(logs.some((l) => l.msg === "bootstrap done")).toBe(true);
  await client.node.fs.drain();
  expect(client.node.fs.countLedgerEntries()).toBe(server.node.fs.countLedgerEntries());
  expect(client.node.fs.countLedgerEntries()).toBeGreaterThan(30_000);
  expect(client.node.fs.lastFinalSlot!.equals(server.node.fs.lastFinalSlot!)).toBe(true);
  expect(client.node.fs.stateHash.toString()).toBe(server.node.fs.stateHash.toString());
  expect(client.node.fs.recomputeHash().toString()).toBe(server.node.fs.stateHash.toString());
}, 20_000);
