import type { Server } from "node:http";
import type { PublicKey } from "@massa-ts/models";
import { parsePeerAddress } from "@massa-ts/protocol";
import type { Logger } from "pino";
import { privateMethods } from "./api-private.js";
import { publicMethods } from "./api-public.js";
import { API_V2_METHODS, ApiV2Hub } from "./api-v2.js";
import type { NodeConfig } from "./config.js";
import { clearDataDir } from "./data-dir.js";
import { MassaNode } from "./node.js";
import { startRpcServer } from "./rpc-server.js";

export interface RunningNode {
  /** The node (a new one after an out-of-step recovery: read it each time). */
  readonly node: MassaNode;
  readonly publicUrl: string;
  readonly privateUrl: string;
  /** Massa's APIv2 (HTTP and WebSocket on the same port), "" when `api.v2` is unset. */
  readonly apiV2Url: string;
  /** The APIv2 subscriptions (counts, drops), when `api.v2` is set. */
  readonly apiV2: ApiV2Hub | undefined;
  /** Resolves when the node has stopped (Ctrl-C, `stop_node`, or `stop()`). */
  readonly stopped: Promise<void>;
  /** Times this node found itself out of step and bootstrapped again. */
  readonly resyncs: number;
  /** Times the node was started again on its stored state after its execution thread failed. */
  readonly restarts: number;
  stop(): Promise<void>;
}

/**
 * Starts a node and its two JSON-RPC servers (public; private on loopback with `/metrics`). A node that
 * finds itself out of step with its peers (its finality stalled while it refuses their blocks) is stopped,
 * its final state removed, and started again bootstrapping from a peer, on the same API addresses.
 */
export async function runNode(config: NodeConfig, logger?: Logger): Promise<RunningNode> {
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  let current: { node: MassaNode; servers: Server[]; hub?: ApiV2Hub } | undefined;
  let stopping: Promise<void> | undefined;
  let resyncing: Promise<void> | undefined;
  let resyncs = 0;
  let restarts = 0;
  let publicUrl = "";
  let privateUrl = "";
  let apiV2Url = "";
  const halt = async () => {
    const c = current;
    current = undefined;
    if (!c) return;
    c.hub?.close();
    // the APIs take no new connections and the node stops at once (its clock first): a client keeping a
    // connection busy must not keep the node producing. Answers in flight still go out; connections left
    // open once the node has stopped are closed after 2 s.
    const closed = Promise.all(c.servers.map((s) => new Promise((r) => s.close(r))));
    await c.node.stop();
    const force = setTimeout(() => {
      logger?.warn("stopping: API connections still open after 2 s are closed");
      for (const s of c.servers) s.closeAllConnections();
    }, 2000);
    await closed;
    clearTimeout(force);
  };
  const stop = () => {
    stopping ??= (async () => {
      await resyncing?.catch(() => {});
      await halt();
      resolveStopped();
    })();
    return stopping;
  };
  const launch = async (cfg: NodeConfig): Promise<void> => {
    const node = new MassaNode(cfg, logger);
    await node.start();
    const servers: Server[] = [];
    current = { node, servers };
    node.onOutOfStep = (prefer) => {
      resyncing ??= resync(cfg, prefer).finally(() => {
        resyncing = undefined;
      });
    };
    // the execution thread died: the state on disk is whole (its journal replays), so the node starts
    // again on it, on the same API addresses
    node.onExecutionFailed = (e) => {
      logger?.error(
        { err: e.message },
        "execution thread failed: starting the node again on its stored state",
      );
      resyncing ??= relaunch(cfg).finally(() => {
        resyncing = undefined;
      });
    };
    // the public API and APIv2 share their handlers and their limits
    const pubMethods = publicMethods(node);
    const publicLimits = {
      maxBodyBytes: cfg.api.max_body_bytes,
      maxBatch: cfg.api.max_batch,
      maxResponseBytes: cfg.api.max_response_bytes,
      maxConnections: cfg.api.max_connections,
      maxConnectionsPerIp: cfg.api.max_connections_per_ip,
    };
    const pub = await startRpcServer(cfg.api.public, pubMethods, publicLimits);
    servers.push(pub.server);
    const priv = await startRpcServer(
      cfg.api.private,
      privateMethods(node, () => void stop()),
      {
        maxBodyBytes: 1_000_000,
        maxBatch: cfg.api.max_batch,
        maxResponseBytes: cfg.api.max_response_bytes,
        maxConnections: cfg.api.max_connections,
        loopbackOnly: true,
        get: new Map([
          ["/metrics", async () => ({ type: node.metrics.contentType, body: await node.metrics.metrics() })],
        ]),
      },
    );
    servers.push(priv.server);
    publicUrl = pub.url;
    privateUrl = priv.url;
    if (cfg.api.v2) {
      // Massa's APIv2: its HTTP methods, and the same plus subscriptions over WebSocket on the same port
      const v2Methods = new Map(API_V2_METHODS.map((name) => [name, pubMethods.get(name)!]));
      const v2 = await startRpcServer(cfg.api.v2, v2Methods, publicLimits);
      servers.push(v2.server);
      const hub = new ApiV2Hub({
        maxBufferedBytes: cfg.api.v2_max_buffered_bytes,
        maxMessageBytes: 1_000_000,
        maxResponseBytes: cfg.api.max_response_bytes,
        log: node.log,
      });
      hub.attach(v2.server, v2Methods);
      node.onNewBlock = (b) => hub.publishBlock(b);
      node.pool.onAdded = (op) => hub.publishOperation(op);
      current.hub = hub;
      apiV2Url = v2.url;
    }
    node.log.info(
      { publicApi: pub.url, privateApi: priv.url, apiV2: apiV2Url || undefined },
      "APIs listening",
    );
  };
  const keep = (u: string) => u.replace(/^http:\/\//, "");
  /** `cfg` on the API addresses bound at the first start (its ports may have been 0). */
  const sameApi = (cfg: NodeConfig): NodeConfig => ({
    ...cfg,
    api: {
      ...cfg.api,
      public: keep(publicUrl),
      private: keep(privateUrl),
      ...(apiV2Url ? { v2: keep(apiV2Url) } : {}),
    },
  });
  const relaunch = async (cfg: NodeConfig): Promise<void> => {
    if (stopping) return;
    await halt();
    try {
      await launch(sameApi(cfg));
      restarts++;
    } catch (e) {
      logger?.error({ err: (e as Error).message }, "the node could not start again");
      void stop();
    }
  };
  // Massa's answer to a node out of step: stop, drop the final state, bootstrap again (from the configured
  // bootstrap peer, else each configured peer in turn; peers known to be ahead of us first). The node key
  // goes too unless the config sets one: peers that banned the old state's blocks then meet a new identity.
  const resync = async (cfg: NodeConfig, prefer: readonly PublicKey[] = []): Promise<void> => {
    if (stopping) return;
    await halt();
    clearDataDir(cfg.data_dir);
    resyncs++;
    // only pinned peers: a final state is taken from a node we know, not from whoever answers an address
    const pinned = [
      ...new Set([cfg.network.bootstrap, ...cfg.network.peers].filter((x) => x?.includes("@"))),
    ] as string[];
    const ahead = (a: string) => {
      const key = parsePeerAddress(a).nodeKey;
      return key !== undefined && prefer.some((p) => p.equals(key));
    };
    const sources = [...pinned.filter(ahead), ...pinned.filter((a) => !ahead(a))];
    let last: unknown;
    for (const bootstrap of sources) {
      if (stopping) return;
      try {
        await launch({ ...sameApi(cfg), network: { ...cfg.network, bootstrap } });
        return;
      } catch (e) {
        last = e;
        await halt();
        clearDataDir(cfg.data_dir);
      }
    }
    logger?.error(
      {
        err:
          (last as Error | undefined)?.message ??
          'no pinned peer ("N…@host:port") in network.bootstrap or network.peers',
      },
      "out of step and no peer to bootstrap from",
    );
    void stop();
  };
  try {
    await launch(config);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    get node() {
      if (!current) throw new Error("the node is stopped or bootstrapping again");
      return current.node;
    },
    get publicUrl() {
      return publicUrl;
    },
    get privateUrl() {
      return privateUrl;
    },
    get apiV2Url() {
      return apiV2Url;
    },
    get apiV2() {
      return current?.hub;
    },
    get resyncs() {
      return resyncs;
    },
    get restarts() {
      return restarts;
    },
    stopped,
    stop,
  };
}
