// The private JSON-RPC API (loopback only): stop the node, staking keys, peers to drop or take back, bans.
import { Address, PublicKey } from "@massa-ts/models";
import { openRpcDocument } from "./api-catalog.js";
import { param } from "./api-params.js";
import { addPeerControls } from "./api-peers.js";
import type { NodeAdminView } from "./api-view.js";
import { type Handler, type Json, RpcCode, RpcError } from "./rpc-server.js";

/** The private API (loopback only): stop, staking keys. */
export function privateMethods(node: NodeAdminView, onStop: () => void): Map<string, Handler> {
  const m = new Map<string, Handler>();
  m.set("stop_node", () => {
    setImmediate(onStop);
    return null;
  });
  m.set("add_staking_secret_keys", (params) => {
    const keys = param(params, "add_staking_secret_keys");
    keys.forEach((k, i) => {
      try {
        node.addStakingKey(k, `key ${i}`);
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, (e as Error).message);
      }
    });
    return null; // Massa's RpcResult<()>
  });
  m.set("remove_staking_addresses", (params) => {
    const addrs = param(params, "remove_staking_addresses");
    for (const a of addrs) node.removeStakingKey(a);
    return null;
  });
  m.set("node_sign_message", (params) => {
    const message = param(params, "node_sign_message");
    const { publicKey, signature } = node.signWithNodeKey(Uint8Array.from(message));
    return { public_key: publicKey.toString(), signature: signature.toString() };
  });
  addPeerControls(m, node);
  // partitions without bans (an operator dropping peers; the chaos harness's partitions): node keys "P…"
  const peerKeys = (params: unknown[], method: "node_block_peers" | "node_unblock_peers") =>
    param(params, method).map((k, i) => {
      try {
        return PublicKey.fromString(k);
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, `key ${i}: ${(e as Error).message}`);
      }
    });
  m.set("node_block_peers", (params) => {
    node.network?.block(peerKeys(params, "node_block_peers"));
    return null;
  });
  m.set("node_unblock_peers", (params) => {
    node.network?.unblock(peerKeys(params, "node_unblock_peers"));
    return null;
  });
  // Ours, not in Massa's OpenRPC: the current bans (by node key "P…" once a peer proved it, else by IP) with
  // their reasons, e.g. for the chaos harness's attacker run to check that no honest node was banned
  m.set("node_bans", () =>
    [...(node.network?.banned() ?? new Map<string, string>())].map(([id, reason]) => ({ id, reason })),
  );
  m.set("get_staking_addresses", () =>
    [...node.stakingKeys.values()].map((k) => Address.fromPublicKey(k.publicKey).toString()),
  );
  m.set("rpc.discover", () => openRpcDocument("private", [...m.keys()]) as Json);
  return m;
}
