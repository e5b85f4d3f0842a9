// Bootstrap over real TCP with a dropped connection: a new node streams a 30 000-entry final state from a
// peer through a TCP relay that cuts the connection once, mid-stream (after 2.5 MB); the client reconnects,
// resumes from its cursor (no restart from zero) and ends with the server's state: same ledger, same
// fingerprint.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { StateHash } from "@massa-ts/final-state";
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
  await server.node.execution.call("drain");
  const serverState = await server.node.execution.call("stateInfo");
  expect(states.at(-1)!.entries).toBe(serverState.records);
  expect(states.at(-1)!.total).toBe(serverState.records);
  expect(logs.some((l) => l.msg === "bootstrap done")).toBe(true);
  await client.node.execution.call("drain");
  const clientState = await client.node.execution.call("stateInfo");
  expect(clientState.ledgerEntries).toBe(serverState.ledgerEntries);
  expect(clientState.ledgerEntries).toBeGreaterThan(30_000);
  expect(client.node.execution.finalSlot.equals(server.node.execution.finalSlot)).toBe(true);
  expect(client.node.execution.stateHash.toString()).toBe(server.node.execution.stateHash.toString());
  const recomputed = new StateHash(await client.node.execution.call("recomputeHash"));
  expect(recomputed.toString()).toBe(server.node.execution.stateHash.toString());
}, 20_000);
