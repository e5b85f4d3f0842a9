// Every JSON-RPC method this node serves: where (public, private), its params and a one-line meaning. The
// source of `rpc.discover` (our own OpenRPC document, built from what we serve) and of the README's list.
// Massa's document is the contract for the shapes; these lines say what each method means here.

import { paramJsonSchema } from "./api-params.js";

export type ApiName = "public" | "private";

/** The API version this node answers to (Massa's `get_version`, `get_status.version`, our document's). */
export const API_VERSION = "MAIN.5.0";

export interface MethodDoc {
  readonly api: ApiName;
  readonly summary: string;
  /** Not in Massa's OpenRPC document: ours. */
  readonly ours?: true;
}

export const CATALOG: Readonly<Record<string, MethodDoc>> = {
  get_status: { api: "public", summary: "node status: ids, slots, cycle times, config, stats" },
  get_version: { api: "public", summary: "the node's version (Massa's MAIN.5.0 naming)" },
  get_addresses: {
    api: "public",
    summary: "balances, rolls, deferred credits, cycle infos and draws of addresses, final and candidate",
  },
  get_addresses_bytecode: { api: "public", summary: "addresses' bytecode" },
  get_addresses_datastore_keys: {
    api: "public",
    summary: "datastore keys by prefix and key range, at most 500 per request",
  },
  get_datastore_entries: {
    api: "public",
    summary: "datastore values, final and candidate",
  },
  get_blocks: { api: "public", summary: "blocks with their status in the graph" },
  get_blockclique_block_by_slot: {
    api: "public",
    summary: "the blockclique's block at a slot, or null",
  },
  get_cliques: { api: "public", summary: "the graph's cliques, blockclique marked" },
  get_graph_interval: {
    api: "public",
    summary: "the graph's blocks produced in a time interval",
  },
  get_next_block_best_parents: { api: "public", summary: "the parents a block would take now" },
  get_operations: { api: "public", summary: "operations, pooled or in blocks" },
  get_endorsements: {
    api: "public",
    summary: "endorsements, pooled or in the graph's blocks",
  },
  get_slots_transfers: {
    api: "public",
    summary: "receipts of the Transaction operations executed at blockclique slots",
  },
  get_filtered_sc_output_event: {
    api: "public",
    summary: "execution events by slot range (end excluded), caller, emitter, operation",
  },
  get_stakers: { api: "public", summary: "stakers and their rolls" },
  get_largest_stakers: { api: "public", summary: "stakers, largest first, paged" },
  send_operations: { api: "public", summary: "checks, pools and relays operations" },
  execute_read_only_bytecode: {
    api: "public",
    summary: "runs bytecode read-only at the next slot: result, gas cost, events; nothing kept",
  },
  execute_read_only_call: {
    api: "public",
    summary: "calls a contract function read-only at the next slot: its return value, gas, events",
  },
  get_deferred_call_quote: {
    api: "public",
    summary: "deferred call prices: never available (this node runs no deferred calls)",
  },
  get_deferred_call_info: { api: "public", summary: "deferred calls: none exist here" },
  get_deferred_call_ids_by_slot: {
    api: "public",
    summary: "deferred calls by slot: none",
  },
  get_final_state_hashes: {
    api: "public",
    summary: "the final state hash of each of the last 1 000 final slots (agreement checks)",
    ours: true,
  },
  "rpc.discover": { api: "public", summary: "this node's OpenRPC document" },

  stop_node: { api: "private", summary: "stops the node" },
  add_staking_secret_keys: { api: "private", summary: "stakes with these keys too" },
  remove_staking_addresses: { api: "private", summary: "stops staking with these" },
  get_staking_addresses: { api: "private", summary: "the addresses this node stakes with" },
  node_sign_message: {
    api: "private",
    summary: "signs BLAKE3(message) with the node key",
  },
  node_ban_by_id: {
    api: "private",
    summary: "bans node ids, closing their connections",
  },
  node_ban_by_ip: { api: "private", summary: "bans IPs, closing their connections" },
  node_unban_by_id: { api: "private", summary: "lifts bans of node ids" },
  node_unban_by_ip: { api: "private", summary: "lifts bans of IPs" },
  node_peers_whitelist: { api: "private", summary: "the peers whitelist" },
  node_add_to_peers_whitelist: {
    api: "private",
    summary: "IPs never banned, admitted past the per-IP limit",
  },
  node_remove_from_peers_whitelist: { api: "private", summary: "off the peers whitelist" },
  node_whitelist: {
    api: "private",
    summary: "Massa's older name of node_add_to_peers_whitelist",
  },
  node_remove_from_whitelist: {
    api: "private",
    summary: "Massa's older name of node_remove_from_peers_whitelist",
  },
  node_bootstrap_blacklist: { api: "private", summary: "IPs refused bootstrap" },
  node_add_to_bootstrap_blacklist: {
    api: "private",
    summary: "refuses these IPs bootstrap",
  },
  node_remove_from_bootstrap_blacklist: {
    api: "private",
    summary: "off the bootstrap blacklist",
  },
  node_bootstrap_whitelist: {
    api: "private",
    summary: "the only IPs that may bootstrap, if set",
  },
  node_add_to_bootstrap_whitelist: {
    api: "private",
    summary: "lets these IPs bootstrap (only them, once the list exists)",
  },
  node_remove_from_bootstrap_whitelist: {
    api: "private",
    summary: "off the bootstrap whitelist",
  },
  node_bootstrap_whitelist_allow_all: { api: "private", summary: "anyone may bootstrap again" },
  node_bans: { api: "private", summary: "current bans with their reasons", ours: true },
  node_block_peers: {
    api: "private",
    summary: "stops talking to these peers without a ban",
    ours: true,
  },
  node_unblock_peers: {
    api: "private",
    summary: "talks to them again",
    ours: true,
  },
};

/** Our OpenRPC document: the methods an API serves, from the catalog. */
export function openRpcDocument(api: ApiName, served: readonly string[]): object {
  return {
    openrpc: "1.2.4",
    info: {
      title: `massa-ts ${api} JSON-RPC API`,
      version: API_VERSION,
      description:
        "Massa's JSON-RPC API (OpenRPC MAIN.5.0 is the contract for shapes); methods marked x-ours are not in Massa's.",
    },
    methods: [...served].sort().map((name) => {
      const d = CATALOG[name];
      return {
        name,
        summary: d?.summary ?? "",
        ...(d?.ours ? { "x-ours": true } : {}),
        // what the handler parses, as JSON Schema (from the same zod definition)
        params: [paramJsonSchema(name)].filter((p) => p !== undefined),
        // results have Massa's shapes: its MAIN.5.0 document's schemas are the contract
        result: {
          name: `${name}_result`,
          schema: { description: d?.ours ? "ours: see summary" : `Massa MAIN.5.0 \`${name}\` result` },
        },
      };
    }),
  };
}
