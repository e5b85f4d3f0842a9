// Massa's JSON-RPC contract (OpenRPC MAIN.5.0, test/openrpc/schema.ts): every method called on a live devnet
// node (in-process, LMDB in a temp dir, HTTP on 127.0.0.1) with valid params, on the API the document puts it
// on, and its result validated against the document's schema with ajv; invalid params for each family give a
// JSON-RPC error, never an HTTP error or a dropped connection. Methods not served yet are listed (PENDING) and
// must answer "method not found", so the list stays honest.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Address, Amount, EndorsementId, SecretKey, SignedOperation } from "@massa-ts/models";
import * as w3 from "@massalabs/massa-web3";
import { Ajv2020 } from "ajv/dist/2020.js";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDevnet } from "../src/commands/devnet.ts";
import { CATALOG } from "../src/node/api-catalog.ts";
import { apiMarkdownTable } from "../src/node/api-table.ts";
import { loadNodeConfig } from "../src/node/config.ts";
import { type RunningNode, runNode } from "../src/node/run.ts";
import { DOC_PATH, ERRATA, OpenRpcSchema } from "./openrpc/schema.ts";
import { until } from "./wait.ts";

const schema = new OpenRpcSchema();
const extraKey = SecretKey.generate();
const KEYS_HOLDER = Address.fromPublicKey(SecretKey.generate().publicKey);
/** Methods that answer a typed error on purpose, and why (each must say so in its message). */
const REFUSED: Record<string, RegExp> = {};
const dir = mkdtempSync(join(tmpdir(), "massa-ts-openrpc-"));
let running: RunningNode;
let accounts: { address: string; secretKey: string }[];
let opId = "";
let blockId = "";
let endorsementId = "";
afterAll(async () => {
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function raw(url: string, method: string, params: unknown[]) {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return {
    status: r.status,
    json: (await r.json()) as { result?: unknown; error?: { code: number; message: string } },
  };
}
const urlOf = (method: string) =>
  schema.apiOf(method) === "private" ? running.privateUrl : running.publicUrl;

beforeAll(async () => {
  const d = createDevnet({ dir: join(dir, "devnet"), nodes: 1, t0: 1000, basePort: 0 });
  accounts = d.accounts;
  // an address holding 1 200 datastore keys [i >> 8, i & 255] (massa-web3 pages them 500 at a time)
  const ledgerPath = join(dir, "devnet", "initial_ledger.json");
  const ledger = JSON.parse(readFileSync(ledgerPath, "utf8")) as Record<string, unknown>;
  ledger[KEYS_HOLDER.toString()] = {
    balance: "10",
    bytecode: [],
    datastore: Array.from({ length: 1200 }, (_, i) => [[i >> 8, i & 255], [1]]),
  };
  writeFileSync(ledgerPath, JSON.stringify(ledger));
  const c = loadNodeConfig(d.configPath);
  // with its p2p port open: the peer controls act on a real network
  running = await runNode(
    { ...c, network: { ...c.network, listen: "127.0.0.1:0" } },
    pino({ level: "silent" }),
  );
  const node = running.node;
  await until(() => (node.currentSlot?.period ?? 0) >= 1, "period 1", 10_000);
  const sk = SecretKey.fromString(accounts[0]!.secretKey);
  const op = SignedOperation.sign(
    {
      fee: Amount.fromMas("0.01"),
      expirePeriod: node.currentSlot!.period + 8,
      payload: {
        type: "Transaction",
        recipient: Address.fromPublicKey(SecretKey.generate().publicKey),
        amount: Amount.fromMas("1"),
      },
    },
    sk,
    77n,
  );
  const sent = await raw(running.publicUrl, "send_operations", [
    [
      {
        serialized_content: Array.from(op.contentBytes),
        creator_public_key: op.creator.toString(),
        signature: op.signature.toString(),
      },
    ],
  ]);
  opId = (sent.json.result as string[])[0]!;
  await until(() => node.execution.operationStatus(op.id)?.final === true, "the transfer final", 20_000);
  const withEndorsement = node.graph
    .activeBlocks()
    .find((b) => (node.graph.get(b.id)?.header.content.endorsements.length ?? 0) > 0);
  blockId = (withEndorsement ?? node.graph.activeBlocks()[0]!).id.toString();
  endorsementId = node.graph.get(withEndorsement!.id)!.header.content.endorsements[0]!.id.toString();
}, 60_000);

const wire = (op: SignedOperation) => ({
  serialized_content: Array.from(op.contentBytes),
  creator_public_key: op.creator.toString(),
  signature: op.signature.toString(),
});

/** Valid params for each method, from the node's own data. */
function validParams(name: string): unknown[] {
  const addr = accounts[0]!.address;
  const slot = { period: 1, thread: 0 };
  switch (name) {
    case "get_addresses":
    case "get_addresses_bytecode":
      return name === "get_addresses" ? [[addr]] : [[{ address: addr, is_final: true }]];
    case "get_addresses_datastore_keys":
      return [[{ address: addr, is_final: true, prefix: [] }]];
    case "get_blocks":
      return [[blockId]];
    case "get_blockclique_block_by_slot":
      return [slot];
    case "get_datastore_entries":
      return [[{ address: addr, key: [1, 2] }]];
    case "get_slots_transfers":
      return [[slot]];
    case "get_endorsements":
      return [[endorsementId]];
    case "get_filtered_sc_output_event":
      return [{}];
    case "get_graph_interval":
      return [{ start: Date.now() - 5_000, end: Date.now() }];
    case "get_operations":
      return [[opId]];
    case "get_stakers":
      return [{ offset: 0, limit: 50 }];
    case "get_largest_stakers":
      return [{ page_request: { offset: 0, limit: 50 } }];
    case "execute_read_only_bytecode":
      return [[{ max_gas: 3_000_000, bytecode: [0, 97, 115, 109], address: addr, fee: "0.01" }]];
    case "execute_read_only_call":
      return [
        [
          {
            max_gas: 3_000_000,
            target_address: addr,
            target_function: "main",
            parameter: [],
            caller_address: addr,
            coins: "0",
            fee: "0.01",
          },
        ],
      ];
    case "get_deferred_call_quote":
      return [[{ target_slot: { period: 20, thread: 1 }, max_gas_request: 1_000_000, params_size: 10 }]];
    case "get_deferred_call_info":
      return [[]];
    case "get_deferred_call_ids_by_slot":
      return [[slot]];
    case "add_staking_secret_keys":
      return [[extraKey.toString()]];
    case "remove_staking_addresses":
      return [[Address.fromPublicKey(extraKey.publicKey).toString()]];
    case "node_ban_by_id":
    case "node_unban_by_id":
      return [[SecretKey.generate().publicKey.toNodeId()]];
    case "node_ban_by_ip":
    case "node_unban_by_ip":
    case "node_add_to_bootstrap_blacklist":
    case "node_add_to_bootstrap_whitelist":
    case "node_add_to_peers_whitelist":
    case "node_remove_from_bootstrap_blacklist":
    case "node_remove_from_bootstrap_whitelist":
    case "node_remove_from_peers_whitelist":
    case "node_remove_from_whitelist":
    case "node_whitelist":
      return [["10.1.2.3"]];
    case "node_sign_message":
      return [[1, 2, 3]];
    case "send_operations": {
      const op = SignedOperation.sign(
        {
          fee: Amount.fromMas("0.01"),
          expirePeriod: running.node.currentSlot!.period + 8,
          payload: { type: "RollBuy", rollCount: 1n },
        },
        SecretKey.fromString(accounts[1]!.secretKey),
        77n,
      );
      return [[wire(op)]];
    }
    default:
      return [];
  }
}

describe("Massa's OpenRPC document", () => {
  it("is the unedited copy of ../shared/spec/reference/massa-openrpc.json", () => {
    const shared = join(DOC_PATH, "../../../../../shared/spec/reference/massa-openrpc.json");
    let theirs: string;
    try {
      theirs = readFileSync(shared, "utf8");
    } catch {
      console.log(`no ${shared} here: the copy is checked where the shared notes are`);
      return;
    }
    expect(readFileSync(DOC_PATH, "utf8")).toBe(theirs);
    console.log(`errata patched in the validator:\n- ${ERRATA.join("\n- ")}`);
  });

  for (const m of schema.methods) {
    if (m.tags?.some((t) => t.name === "websocket")) continue;
    it(`${m.name}: valid params give a result that validates`, async () => {
      const params = validParams(m.name);
      expect(schema.paramsErrors(m.name, params), "our own params").toEqual([]);
      if (["stop_node"].includes(m.name)) return;
      const r = await raw(urlOf(m.name), m.name, params);
      expect(r.status).toBe(200);
      const refused = REFUSED[m.name];
      if (refused) {
        expect(r.json.error?.message).toMatch(refused);
        return;
      }
      expect(r.json.error, JSON.stringify(r.json.error)).toBeUndefined();
      expect(
        schema.resultErrors(m.name, r.json.result),
        JSON.stringify(r.json.result).slice(0, 2000),
      ).toEqual([]);
    });
  }
});

describe("what we serve", () => {
  it("rpc.discover names exactly the methods each API serves; every HTTP method of Massa's document is among them, on its API; the README lists them all", async () => {
    const readme = readFileSync(join(DOC_PATH, "../../README.md"), "utf8");
    const served = { public: new Set<string>(), private: new Set<string>() };
    for (const api of ["public", "private"] as const) {
      const url = api === "public" ? running.publicUrl : running.privateUrl;
      const doc = (await raw(url, "rpc.discover", [])).json.result as { methods: { name: string }[] };
      for (const m of doc.methods) served[api].add(m.name);
      const catalog = Object.entries(CATALOG)
        .filter(([name, d]) => d.api === api || name === "rpc.discover")
        .map(([name]) => name);
      expect([...served[api]].sort()).toEqual(catalog.sort());
      for (const name of served[api]) {
        if (name === "stop_node") continue;
        const r = await raw(url, name, []);
        expect(r.json.error?.code, name).not.toBe(-32601);
        expect(readme, `README lists ${name}`).toContain(`\`${name}\``);
      }
    }
    for (const m of schema.methods) {
      if (m.tags?.some((t) => t.name === "websocket")) continue;
      const api = schema.apiOf(m.name) === "private" ? "private" : "public";
      expect(served[api].has(m.name), `${m.name} on the ${api} API`).toBe(true);
    }
    // the README's table is the catalog's (scripts/api-table.ts prints it)
    expect(readme).toContain(apiMarkdownTable());
  });
});

describe("our document (rpc.discover)", () => {
  it("each method's params: Massa's names, one JSON Schema each, made from the zod schema the handler parses with; it accepts the valid params above and refuses a number", async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    for (const api of ["public", "private"] as const) {
      const url = api === "public" ? running.publicUrl : running.privateUrl;
      const doc = (await raw(url, "rpc.discover", [])).json.result as {
        methods: { name: string; params: { name: string; schema: object }[] }[];
      };
      for (const m of doc.methods) {
        const theirs = schema.methods.find((t) => t.name === m.name);
        if (theirs)
          expect(
            m.params.map((p) => p.name),
            `${m.name}: Massa's param names`,
          ).toEqual(theirs.params.map((p) => p.name));
        m.params.forEach((p, i) => {
          const check = ajv.compile(p.schema);
          const valid = validParams(m.name)[i];
          if (theirs && valid !== undefined)
            expect(check(valid), `${m.name}: ${JSON.stringify(check.errors)}`).toBe(true);
          expect(check(12345), `${m.name} refuses a number`).toBe(false);
        });
      }
    }
  });
});

describe("invalid params", () => {
  for (const m of schema.methods) {
    if (m.tags?.some((t) => t.name === "websocket") || m.params.length === 0) continue;
    it(`${m.name}: a number where the document wants ${m.params.map((p) => p.name).join(", ")}: a JSON-RPC invalid-params error`, async () => {
      expect(schema.paramsErrors(m.name, [12345])).not.toEqual([]); // invalid for the document too
      const r = await raw(urlOf(m.name), m.name, [12345]);
      expect(r.status).toBe(200);
      expect(r.json.error, JSON.stringify(r.json)).toMatchObject({
        code: -32602,
        message: expect.any(String),
      });
    });
  }
});

describe("the methods' meaning, with numbers", () => {
  it("get_slots_transfers: the transfer's receipt at its slot (1 MAS to a new address: 0.999 received, the 0.001 creation cost taken); a slot without a block is left out", async () => {
    const [info] = (await raw(running.publicUrl, "get_operations", [[opId]])).json.result as {
      in_blocks: string[];
    }[];
    const [block] = (await raw(running.publicUrl, "get_blocks", [[info!.in_blocks[0]]])).json.result as {
      content: { block: { header: { content: { slot: { period: number; thread: number } } } } };
    }[];
    const slot = block!.content.block.header.content.slot;
    const far = { period: slot.period + 1000, thread: 0 }; // no block there yet
    const r = await raw(running.publicUrl, "get_slots_transfers", [[slot, far]]);
    expect(r.json.result).toEqual([
      [
        {
          from: accounts[0]!.address,
          to: expect.stringMatching(/^AU/),
          amount: "1",
          effective_amount_received: "0.999", // Massa's LEDGER_ENTRY_BASE_COST is 0.001 MAS
          context: { operation_id: opId },
          succeed: true,
          fee: "0.01",
          block_id: info!.in_blocks[0],
        },
      ],
    ]);
  });

  it("events: a successful transfer emits none; a failed one emits one error event, found at its slot with `end` excluded, by its sender as caller and emitter", async () => {
    const node = running.node;
    const sender = SecretKey.fromString(accounts[2]!.secretKey);
    const recipient = Address.fromPublicKey(SecretKey.generate().publicKey);
    const failing = SignedOperation.sign(
      {
        fee: Amount.fromMas("0.01"),
        expirePeriod: node.currentSlot!.period + 8,
        // too little to create the recipient's address (0.001 MAS): the transfer fails after its fee
        payload: { type: "Transaction", recipient, amount: Amount.fromMas("0.0005") },
      },
      sender,
      77n,
    );
    await raw(running.publicUrl, "send_operations", [[wire(failing)]]);
    await until(
      () => node.execution.operationStatus(failing.id)?.final === true,
      "the failed transfer final",
      50_000, // a few periods alone; CI runs every package's tests at once on two cores
    );
    const filter = (f: Record<string, unknown>) =>
      raw(running.publicUrl, "get_filtered_sc_output_event", [f]).then(
        (r) =>
          r.json.result as { context: { slot: { period: number; thread: number }; call_stack: string[] } }[],
      );
    expect(await filter({ original_operation_id: opId })).toEqual([]); // the successful transfer
    const [e] = await filter({ original_operation_id: failing.id.toString() });
    expect(e!.context.call_stack).toEqual([accounts[2]!.address]);
    const s = e!.context.slot;
    const next =
      s.thread === 3 ? { period: s.period + 1, thread: 0 } : { period: s.period, thread: s.thread + 1 };
    const id = failing.id.toString();
    const ours = (list: Awaited<ReturnType<typeof filter>>) =>
      list.filter((x) => JSON.stringify(x).includes(id));
    expect(ours(await filter({ start: s, end: s }))).toHaveLength(0);
    expect(ours(await filter({ start: s, end: next }))).toHaveLength(1);
    expect(ours(await filter({ start: next }))).toHaveLength(0);
    expect(ours(await filter({ emitter_address: accounts[2]!.address }))).toHaveLength(1);
    expect(ours(await filter({ original_caller_address: recipient.toString() }))).toHaveLength(0);
    expect(
      ours(
        await filter({
          original_caller_address: accounts[2]!.address,
          emitter_address: recipient.toString(),
        }),
      ),
    ).toHaveLength(0);
  }, 60_000);

  it("get_addresses_datastore_keys: 500 keys at most by default, start and end keys inclusive unless said, count above 500 refused; massa-web3 pages through all 1 200", async () => {
    const holder = KEYS_HOLDER.toString();
    const keysOf = async (req: Record<string, unknown>) => {
      const r = await raw(running.publicUrl, "get_addresses_datastore_keys", [
        [{ address: holder, is_final: true, ...req }],
      ]);
      return (r.json.result as { keys: number[][] }[] | undefined)?.[0]?.keys ?? r.json.error;
    };
    const k = (i: number) => [i >> 8, i & 255];
    const first = (await keysOf({})) as number[][];
    expect(first).toHaveLength(500);
    expect(first[0]).toEqual(k(0));
    expect(first[499]).toEqual(k(499));
    expect(await keysOf({ start_key: k(10), end_key: k(12) })).toEqual([k(10), k(11), k(12)]);
    expect(
      await keysOf({
        start_key: k(10),
        inclusive_start_key: false,
        end_key: k(12),
        inclusive_end_key: false,
      }),
    ).toEqual([k(11)]);
    expect(await keysOf({ prefix: [4], count: 3 })).toEqual([k(1024), k(1025), k(1026)]);
    expect(await keysOf({ count: 501 })).toMatchObject({
      code: -32000,
      message: expect.stringMatching(/max item count .* is 500 but 501/),
    });
    // massa-web3's own paging (start_key, exclusive, 500 a page): it looped forever on a node ignoring start_key
    const provider = w3.JsonRpcProvider.fromRPCUrl(running.publicUrl, await w3.Account.generate());
    const all = await provider.getStorageKeys(holder, new Uint8Array(), true);
    expect(all).toHaveLength(1200);
    expect(all.map((x) => Array.from(x))).toEqual(Array.from({ length: 1200 }, (_, i) => k(i)));
  });

  it("get_addresses' created_* lists: the staker's blocks and endorsements in the graph, the sender's operations", async () => {
    const staker = Address.fromPublicKey([...running.node.stakingKeys.values()][0]!.publicKey).toString();
    const r = (await raw(running.publicUrl, "get_addresses", [[staker, accounts[0]!.address]])).json
      .result as {
      created_blocks: string[];
      created_operations: string[];
      created_endorsements: string[];
    }[];
    expect(r[0]!.created_blocks).toContain(blockId);
    expect(r[0]!.created_endorsements).toContain(endorsementId); // a lone staker endorses every slot
    expect(r[1]!.created_operations).toContain(opId);
    expect(r[1]!.created_blocks).toEqual([]);
  });

  it("get_endorsements: an endorsement carried by a block is found with that block; an unknown id is left out", async () => {
    const unknown = new EndorsementId(new Uint8Array(32).fill(9)).toString();
    const r = (await raw(running.publicUrl, "get_endorsements", [[endorsementId, unknown, endorsementId]]))
      .json.result as { id: string; in_pool: boolean; in_blocks: string[]; endorsement: { id: string } }[];
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ id: endorsementId, in_pool: false, endorsement: { id: endorsementId } });
    expect(r[0]!.in_blocks).toContain(blockId);
  });

  it("node_sign_message: a signature of BLAKE3(message) by the node key, which massa-web3 verifies", async () => {
    const message = [104, 101, 108, 108, 111];
    const r = (await raw(running.privateUrl, "node_sign_message", [message])).json.result as {
      public_key: string;
      signature: string;
    };
    expect(r.public_key).toBe(running.node.network!.nodeKey.publicKey.toString());
    const key = await w3.PublicKey.fromString(r.public_key);
    const sig = await w3.Signature.fromString(r.signature);
    expect(await key.verify(Uint8Array.from(message), sig)).toBe(true);
    expect(await key.verify(Uint8Array.from([1, 2]), sig)).toBe(false);
  });

  it("bans by node id and by IP reach the network's ban list and lift; the peers whitelist lists what was added", async () => {
    const id = SecretKey.generate().publicKey;
    const call = (method: string, params: unknown[]) => raw(running.privateUrl, method, params);
    await call("node_ban_by_id", [[id.toNodeId()]]);
    await call("node_ban_by_ip", [["10.9.8.7"]]);
    const net = running.node.network!;
    expect(net.isBanned(id.toString())).toBe(true);
    expect(net.isBanned("10.9.8.7")).toBe(true);
    await call("node_unban_by_id", [[id.toNodeId()]]);
    await call("node_unban_by_ip", [["10.9.8.7"]]);
    expect(net.isBanned(id.toString())).toBe(false);
    expect(net.isBanned("10.9.8.7")).toBe(false);
    await call("node_add_to_peers_whitelist", [["10.0.0.2", "::1"]]);
    expect((await call("node_peers_whitelist", [])).json.result).toEqual(
      expect.arrayContaining(["10.0.0.2", "::1"]),
    );
    await call("node_ban_by_ip", [["10.0.0.2"]]);
    expect(net.isBanned("10.0.0.2")).toBe(false); // whitelisted: never banned
    await call("node_remove_from_peers_whitelist", [["10.0.0.2", "::1"]]);
    expect((await call("node_peers_whitelist", [])).json.result).not.toContain("10.0.0.2");
    const bad = await call("node_ban_by_ip", [["not-an-ip"]]);
    expect(bad.json.error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/not an IPv4 or IPv6/),
    });
  });
});
