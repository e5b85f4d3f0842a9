// The private API's peer controls, as Massa names them: bans by node id or IP (the protocol's real ban
// list), the peers whitelist (IPs never banned, past the per-IP limit), and who may bootstrap from this
// node (the bootstrap server's black- and whitelist). Lists live in memory: a restart forgets them.
import { isIP } from "node:net";
import { PublicKey } from "@massa-ts/models";
import { z } from "zod";
import { arg, zList } from "./api-json.js";
import type { NodeAdminView } from "./api-view.js";
import { type Handler, RpcCode, RpcError } from "./rpc-server.js";

const zIps = zList(z.string().refine((s) => isIP(s) !== 0, "not an IPv4 or IPv6 address"));
const zNodeIds = zList(z.string());

export function addPeerControls(m: Map<string, Handler>, node: NodeAdminView): void {
  const network = () => {
    if (!node.network) throw new RpcError(RpcCode.internal, "this node runs without a network");
    return node.network;
  };
  const bootstrap = () => {
    if (!node.bootstrapServer) throw new RpcError(RpcCode.internal, "the node is not started");
    return node.bootstrapServer;
  };
  const ips = (params: unknown[]) => arg(params, zIps, "IP address list");
  const keys = (params: unknown[]) =>
    arg(params, zNodeIds, "node id list").map((id, i) => {
      try {
        return PublicKey.fromNodeId(id).toString();
      } catch (e) {
        throw new RpcError(RpcCode.invalidParams, `node id ${i}: ${(e as Error).message}`);
      }
    });

  m.set("node_ban_by_id", (params) => {
    network().banIds(keys(params), "banned by the operator");
    return null;
  });
  m.set("node_ban_by_ip", (params) => {
    network().banIds(ips(params), "banned by the operator");
    return null;
  });
  m.set("node_unban_by_id", (params) => {
    for (const k of keys(params)) network().bans.unban(k);
    return null;
  });
  m.set("node_unban_by_ip", (params) => {
    for (const ip of ips(params)) network().bans.unban(ip);
    return null;
  });

  m.set("node_peers_whitelist", () => network().bans.whitelisted());
  const addToWhitelist: Handler = (params) => {
    try {
      network().bans.addToWhitelist(ips(params));
    } catch (e) {
      if (e instanceof RangeError) throw new RpcError(RpcCode.invalidParams, e.message);
      throw e;
    }
    return null;
  };
  const removeFromWhitelist: Handler = (params) => {
    network().bans.removeFromWhitelist(ips(params));
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
    const list = ips(params);
    const b = bootstrap();
    if (b.blacklist.size + list.length > 10_000)
      throw new RpcError(RpcCode.invalidParams, "the bootstrap blacklist holds at most 10 000 addresses");
    for (const ip of list) b.blacklist.add(ip);
    return null;
  });
  m.set("node_remove_from_bootstrap_blacklist", (params) => {
    for (const ip of ips(params)) bootstrap().blacklist.delete(ip);
    return null;
  });
  m.set("node_add_to_bootstrap_whitelist", (params) => {
    const list = ips(params);
    const b = bootstrap();
    b.whitelist ??= new Set();
    if (b.whitelist.size + list.length > 10_000)
      throw new RpcError(RpcCode.invalidParams, "the bootstrap whitelist holds at most 10 000 addresses");
    for (const ip of list) b.whitelist.add(ip);
    return null;
  });
  m.set("node_remove_from_bootstrap_whitelist", (params) => {
    for (const ip of ips(params)) bootstrap().whitelist?.delete(ip);
    return null;
  });
  // everyone may bootstrap again (Massa removes its whitelist file)
  m.set("node_bootstrap_whitelist_allow_all", () => {
    bootstrap().whitelist = undefined;
    return null;
  });
}
