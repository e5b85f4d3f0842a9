import type { Server } from "node:http";
import type { Logger } from "pino";
import { privateMethods, publicMethods, startRpcServer } from "./api.js";
import type { NodeConfig } from "./config.js";
import { MassaNode } from "./node.js";

export interface RunningNode {
  readonly node: MassaNode;
  readonly publicUrl: string;
  readonly privateUrl: string;
  /** Resolves when the node has stopped (Ctrl-C, `stop_node`, or `stop()`). */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

/** Starts a node and its two JSON-RPC servers (public; private on loopback with `/metrics`). */
export async function runNode(config: NodeConfig, logger?: Logger): Promise<RunningNode> {
  const node = new MassaNode(config, logger);
  await node.start();
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  const servers: Server[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      await node.stop();
      resolveStopped();
    })();
    return stopping;
  };
  try {
    const pub = await startRpcServer(config.api.public, publicMethods(node, new Map()), {
      maxBodyBytes: config.api.max_body_bytes,
      maxBatch: config.api.max_batch,
    });
    servers.push(pub.server);
    const priv = await startRpcServer(
      config.api.private,
      privateMethods(node, () => void stop()),
      {
        maxBodyBytes: 1_000_000,
        maxBatch: config.api.max_batch,
        get: new Map([
          ["/metrics", async () => ({ type: node.metrics.contentType, body: await node.metrics.metrics() })],
        ]),
      },
    );
    servers.push(priv.server);
    node.log.info({ publicApi: pub.url, privateApi: priv.url }, "APIs listening");
    return { node, publicUrl: pub.url, privateUrl: priv.url, stopped, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
