// The private API's peer controls, as Massa names them: bans by node id or IP (the protocol's real ban
// list), the peers whitelist (IPs never banned, past the per-IP limit), and who may bootstrap from this
// node (the bootstrap server's black- and whitelist). Lists live in memory: a restart forgets them.
import { PublicKey } from "@massa-ts/models";
import { param } from "./api-params.js";
import type { NodeAdminView } from "./api-view.js";
import { type Handler, RpcCode, RpcError } from "./rpc-server.js";

type IpMethod =
  | "node_ban_by_ip"
  | "node_unban_by_ip"
  | "node_add_to_peers_whitelist"
  | "node_remove_from_peers_whitelist"
  | "node_add_to_bootstrap_blacklist"
  | "node_remove_from_bootstrap_blacklist"
  | "node_add_to_bootstrap_whitelist"
  | "node_remove_from_bootstrap_whitelist";

export function addPeerControls(m: Map<string, Handler>, node: NodeAdminView): void {
  const network = () => {
    if (!node.network) throw new RpcError(RpcCode.internal, "this node runs without a network");
    return node.network;
  };
  const bootstrap = () => {
    if (!node.bootstrapServer) throw new RpcError(RpcCode.internal, "the node is not started");
    return node.bootstrapServer;
  };
  // every IP-list method takes the same list (PARAMS gives each its own entry for the document)
  const ips = (params: unknown[], method: IpMethod): string[] => param(params, method);
  const keys = (params: unknown[], method: "node_ban_by_id" | "node_unban_by_id") =>
    param(params, method).map((id, i) => {
      try {
        return PublicKey.fromNodeId(id).toString();
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, `node id ${i}: ${(e as Error).message}`);
      }
    });

  m.set("node_ban_by_id", (params) => {
    network().banIds(keys(params, "node_ban_by_id"), "banned by the operator");
    return null;
  });
  m.set("node_ban_by_ip", (params) => {
    network().banIds(ips(params, "node_ban_by_ip"), "banned by the operator");
    return null;
  });
  m.set("node_unban_by_id", (params) => {
    for (const k of keys(params, "node_unban_by_id")) network().bans.unban(k);
    return null;
  });
  m.set("node_unban_by_ip", (params) => {
    for (const ip of ips(params, "node_unban_by_ip")) network().bans.unban(ip);
    return null;
  });

  m.set("node_peers_whitelist", () => network().bans.whitelisted());
  const addToWhitelist: Handler = (params) => {
    try {
      network().bans.addToWhitelist(ips(params, "node_add_to_peers_whitelist"));
    } catch (e) {
      if (e instanceof RangeError) throw new RpcError(RpcCode.invalidParams, e.message);
      throw e;
    }
    return null;
  };
  const removeFromWhitelist: Handler = (params) => {
    network().bans.removeFromWhitelist(ips(params, "node_remove_from_peers_whitelist"));
    return null;
  };
  m.set("node_add_to_peers_whitelist", addToWhitelist);
  m.set("node_remove_from_peers_whitelist", removeFromWhitelist);
  // Massa's older names for the same two
  m.set("node_whitelist", addToWhitelist);
  m.set("node_remove_from_whitelist", removeFromWhitelist);

  m.set("node_bootstrap_blacklist", () => [...bootstrap().blacklist].sort());
  m.set("node_bootstrap_whitelist", () => [...(bootstrap().whitelist ?? [])].sort());
  m.set("node_add_to_bootstrap_blacklist", (params) => {
    const list = ips(params, "node_add_to_bootstrap_blacklist");
    const b = bootstrap();
    if (b.blacklist.size + list.length > 10_000)
      throw new RpcError(RpcCode.invalidParams, "the bootstrap blacklist holds at most 10 000 addresses");
    for (const ip of list) b.blacklist.add(ip);
    return null;
  });
  m.set("node_remove_from_bootstrap_blacklist", (params) => {
    for (const ip of ips(params, "node_remove_from_bootstrap_blacklist")) bootstrap().blacklist.delete(ip);
    return null;
  });
  m.set("node_add_to_bootstrap_whitelist", (params) => {
    const list = ips(params, "node_add_to_bootstrap_whitelist");
    const b = bootstrap();
    b.whitelist ??= new Set();
    if (b.whitelist.size + list.length > 10_000)
      throw new RpcError(RpcCode.invalidParams, "the bootstrap whitelist holds at most 10 000 addresses");
    for (const ip of list) b.whitelist.add(ip);
    return null;
  });
  m.set("node_remove_from_bootstrap_whitelist", (params) => {
    for (const ip of ips(params, "node_remove_from_bootstrap_whitelist")) bootstrap().whitelist?.delete(ip);
    return null;
  });
  // everyone may bootstrap again (Massa removes its whitelist file)
  m.set("node_bootstrap_whitelist_allow_all", () => {
    bootstrap().whitelist = undefined;
    return null;
  });
}
